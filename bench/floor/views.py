"""The floor's views: each runs ONE SQL statement in which PostgreSQL builds the whole response as JSON
(the page, its speaker, outlet, source, tags, reviews and relations, the next link) and returns its bytes.

No serializer, no filter classes, no throttle, no content negotiation, no ETag: what is left is Django's
request handling, one query through a kept connection, and the bytes. The JSON has Factbase's fields
(bench/README.md says where it differs), so the responses are about as large as Factbase's."""

from django.db import connection
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseNotFound

PAGE_SIZE_MAX = 100

#: One claim as a JSON object, from the row ``c`` of factbase_claim; %(base)s is the site's absolute URL.
CLAIM_JSON = """json_build_object(
  'id', c.id, 'uid', c.uid, 'url', %(base)s || '/api/v1/claims/' || c.id || '/',
  'history_url', %(base)s || '/api/v1/claims/' || c.id || '/history/',
  'text', c.text, 'kind', c.kind,
  'speaker', json_build_object('id', a.id, 'url', %(base)s || '/api/v1/actors/' || a.id || '/', 'name', a.name,
                               'kind', a.kind),
  'speaker_role', c.speaker_role, 'stated_on', c.stated_on, 'stated_on_precision', c.stated_on_precision,
  'outlet', CASE WHEN o.id IS NULL THEN NULL ELSE json_build_object(
      'id', o.id, 'url', %(base)s || '/api/v1/outlets/' || o.id || '/', 'name', o.name, 'kind', o.kind) END,
  'source', json_build_object('id', s.id, 'url', %(base)s || '/api/v1/sources/' || s.id || '/', 'title', s.title,
                              'display_title', COALESCE(NULLIF(s.title, ''), s.url)),
  'span', CASE WHEN c.span_start IS NULL THEN NULL ELSE json_build_object(
      'start', c.span_start, 'end', c.span_end, 'exact', c.span_exact) END,
  'status', c.status, 'status_note', c.status_note,
  'verified_at', to_char(c.verified_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
  'status_changed_at', to_char(c.status_changed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
  'status_changed_by', u.username,
  'tags', COALESCE((SELECT json_agg(json_build_object('id', t.id, 'url', %(base)s || '/api/v1/tags/' || t.id || '/',
                                                      'name', t.name, 'slug', t.slug) ORDER BY t.name, t.id)
                    FROM factbase_claim_tags ct JOIN factbase_tag t ON t.id = ct.tag_id
                    WHERE ct.claim_id = c.id), '[]'),
  'reviews', COALESCE((SELECT json_agg(json_build_object(
                          'id', r.id, 'url', %(base)s || '/api/v1/reviews/' || r.id || '/', 'rating', r.rating,
                          'rating_text', r.rating_text,
                          'reviewer', CASE WHEN ra.id IS NULL THEN NULL ELSE json_build_object(
                              'id', ra.id, 'url', %(base)s || '/api/v1/actors/' || ra.id || '/', 'name', ra.name,
                              'kind', ra.kind) END)
                        ORDER BY COALESCE(r.reviewed_on, '0001-01-01') DESC, r.id)
                       FROM factbase_review r LEFT JOIN factbase_actor ra ON ra.id = r.reviewer_id
                       WHERE r.claim_id = c.id), '[]'),
  'relations', COALESCE((SELECT json_agg(json_build_object('type', cr.type, 'claim', cr.claim_id,
                                                           'related_claim', cr.related_claim_id) ORDER BY cr.id)
                         FROM factbase_claimrelation cr
                         WHERE cr.claim_id = c.id OR cr.related_claim_id = c.id), '[]'),
  'created_at', to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
  'updated_at', to_char(c.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))"""

JOINS = """JOIN factbase_actor a ON a.id = c.speaker_id
LEFT JOIN factbase_outlet o ON o.id = c.outlet_id
JOIN factbase_source s ON s.id = c.source_id
LEFT JOIN auth_user u ON u.id = c.status_changed_by_id"""

KEY = "COALESCE(stated_on, '0001-01-01'::date)"

#: A page: the claims of the page (newest first, by Factbase's key), then the page built as one JSON object
#: with a next link that carries the last row's key as Factbase's cursor does (base64 of its JSON).
PAGE_SQL = f"""WITH page AS (
  SELECT id, {KEY} AS key FROM factbase_claim WHERE {{where}} ORDER BY {KEY} DESC, id DESC LIMIT %(size)s
), last AS (SELECT key, id FROM page ORDER BY key, id LIMIT 1)
SELECT json_build_object(
  'next', CASE WHEN (SELECT count(*) FROM page) < %(size)s THEN NULL ELSE
    %(base)s || '/api/v1/claims/?cursor=' || (SELECT rtrim(translate(replace(encode(convert_to(
       json_build_object('o', '-stated_on', 'v', json_build_array(last.key, last.id))::text, 'UTF8'), 'base64'),
       E'\\n', ''), '+/', '-_'), '=') FROM last) || '&page_size=' || %(size)s END,
  'previous', NULL,
  'results', COALESCE(json_agg({CLAIM_JSON} ORDER BY p.key DESC, p.id DESC), '[]'))::text
FROM page p JOIN factbase_claim c ON c.id = p.id
{JOINS}"""

DETAIL_SQL = f"SELECT {CLAIM_JSON}::text FROM factbase_claim c {JOINS} WHERE c.id = %(id)s"

WHERE = {
    None: "TRUE",
    "speaker": "speaker_id = %(speaker)s",
    "q": "search_vector @@ websearch_to_tsquery('english', %(q)s)",
}


def _base(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def page_sql(args: dict) -> tuple[str, dict]:
    """The SQL of a page and its parameters, from the query string (page_size, speaker or q)."""
    try:
        size = min(PAGE_SIZE_MAX, max(1, int(args.get("page_size") or 50)))
    except ValueError:
        raise ValueError("page_size") from None
    params: dict = {"size": size}
    where = WHERE[None]
    if args.get("speaker"):
        params["speaker"] = int(args["speaker"])
        where = WHERE["speaker"]
    elif args.get("q"):
        params["q"] = args["q"]
        where = WHERE["q"]
    return PAGE_SQL.format(where=where), params


def _json(body: str) -> HttpResponse:
    return HttpResponse(body.encode(), content_type="application/json")


def claims(request):
    try:
        sql, params = page_sql(request.GET)
    except ValueError:
        return HttpResponseBadRequest(b'{"detail": "bad parameter"}', content_type="application/json")
    params["base"] = _base(request)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return _json(cursor.fetchone()[0])


def claim(request, claim_id: int):
    with connection.cursor() as cursor:
        cursor.execute(DETAIL_SQL, {"id": claim_id, "base": _base(request)})
        row = cursor.fetchone()
    if row is None:
        return HttpResponseNotFound(b'{"detail": "Not found."}', content_type="application/json")
    return _json(row[0])
