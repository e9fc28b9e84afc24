/* The editor's workbench (factbase/admin/workbench.py), no build step, no library.

   On a source's page: select a passage of the text -> "New claim from this passage" opens the claim add
   form for it (the server decides its text, kind and position: factbase.workbench.passage), and a
   passage that overlaps a claim's span is flagged.

   On a claim's add and change forms: the chosen source's text beside the fields, loaded from
   <source>/workbench.json when the source is picked; the quote (a direct quote's text, a paraphrase's
   passage) looked for in it as it is typed, through <source>/find-quote/ (the one normalisation of
   factbase.provenance), highlighted where it is found, or "not found"; the other claims it overlaps flagged.

   Offsets are those of the text as stored (Python's: code points); the rendered pieces carry them in
   data-start/data-end, and an offset inside a piece is counted in code points, not UTF-16 units. */
(function () {
    "use strict";

    function codePoints(s) {
        var n = 0;
        for (var i = 0; i < s.length; i++) {
            var c = s.charCodeAt(i);
            if (c < 0xD800 || c > 0xDBFF || i + 1 >= s.length) { n++; } else { n++; i++; }
        }
        return n;
    }

    function firstOffset(node) {
        if (node.nodeType === 1 && node.hasAttribute("data-start")) { return +node.getAttribute("data-start"); }
        var inner = node.nodeType === 1 ? node.querySelector("[data-start]") : null;
        return inner ? +inner.getAttribute("data-start") : null;
    }

    function lastOffset(node) {
        if (node.nodeType === 1 && node.hasAttribute("data-end")) { return +node.getAttribute("data-end"); }
        var all = node.nodeType === 1 ? node.querySelectorAll("[data-end]") : [];
        return all.length ? +all[all.length - 1].getAttribute("data-end") : null;
    }

    /* The offset in the source text of a DOM position (a Range's container and offset) inside root. */
    function textOffset(root, node, offset, atEnd) {
        if (node.nodeType === 3) {
            var piece = node.parentElement.closest("[data-start]");
            if (piece && root.contains(piece) && piece.tagName !== "P") {
                return +piece.getAttribute("data-start") + codePoints(node.data.slice(0, offset));
            }
            node = node.parentElement;
            offset = 0;
        }
        var kids = node.childNodes, i, found;
        if (atEnd) {
            for (i = Math.min(offset, kids.length) - 1; i >= 0; i--) {
                found = lastOffset(kids[i]);
                if (found !== null) { return found; }
            }
            for (i = offset; i < kids.length; i++) {
                found = firstOffset(kids[i]);
                if (found !== null) { return found; }
            }
        } else {
            for (i = offset; i < kids.length; i++) {
                found = firstOffset(kids[i]);
                if (found !== null) { return found; }
            }
            for (i = Math.min(offset, kids.length) - 1; i >= 0; i--) {
                found = lastOffset(kids[i]);
                if (found !== null) { return found; }
            }
        }
        return atEnd ? lastOffset(node) : firstOffset(node);
    }

    function overlapMessage(spans) {
        if (!spans.length) { return ""; }
        var each = spans.map(function (s) { return "claim #" + s.id + ", by " + s.speaker; });
        if (each.length === 1) { return "This passage is already " + each[0] + "."; }
        return "This passage overlaps " + each.slice(0, -1).join(", ") + " and " + each[each.length - 1] + ".";
    }

    /* --- a source's page ------------------------------------------------------------------------ */

    function sourcePage() {
        var root = document.getElementById("factbase-source-text");
        var bar = document.getElementById("factbase-selection-bar");
        if (!root || !bar) { return; }
        var info = document.getElementById("factbase-selection-info");
        var warning = document.getElementById("factbase-selection-overlap");
        var button = document.getElementById("factbase-new-claim");
        var data = document.getElementById("factbase-workbench-spans");
        var spans = data ? JSON.parse(data.textContent) : [];
        var selected = null;

        function update() {
            var selection = window.getSelection();
            if (!selection || selection.rangeCount === 0 || selection.isCollapsed) { return hide(); }
            var range = selection.getRangeAt(0);
            if (!root.contains(range.commonAncestorContainer)) { return hide(); }
            var start = textOffset(root, range.startContainer, range.startOffset, false);
            var end = textOffset(root, range.endContainer, range.endOffset, true);
            if (start === null || end === null || end <= start) { return hide(); }
            selected = {start: start, end: end};
            var overlaps = spans.filter(function (s) { return s.start < end && start < s.end; });
            info.textContent = "Characters " + start + " to " + end + " selected.";
            warning.textContent = overlapMessage(overlaps);
            warning.hidden = overlaps.length === 0;
            bar.hidden = false;
        }

        function hide() {
            // Keep the bar while the pointer is on its button (clicking it collapses the selection).
            if (document.activeElement === button) { return; }
            selected = null;
            bar.hidden = true;
        }

        document.addEventListener("selectionchange", update);
        if (button) {
            button.addEventListener("mousedown", function (event) { event.preventDefault(); });
            button.addEventListener("click", function () {
                if (!selected) { return; }
                var params = new URLSearchParams({source: bar.getAttribute("data-source-id"),
                                                  passage_start: selected.start, passage_end: selected.end});
                window.location.href = bar.getAttribute("data-new-claim-url") + "?" + params.toString();
            });
        }
        // Hovering a claim in the list shows it in the text, and the other way round.
        root.addEventListener("mouseover", function (event) {
            var mark = event.target.closest("mark[data-claims]");
            document.querySelectorAll(".factbase-claims-table tr.factbase-claim-hover").forEach(function (row) {
                row.classList.remove("factbase-claim-hover");
            });
            if (!mark) { return; }
            mark.getAttribute("data-claims").split(" ").forEach(function (id) {
                var row = document.querySelector('.factbase-claims-table tr[data-claim="' + id + '"]');
                if (row) { row.classList.add("factbase-claim-hover"); }
            });
        });
    }

    /* --- a claim's form ------------------------------------------------------------------------- */

    function render(container, text, paragraphs, claims, found, chosen) {
        container.textContent = "";
        var edges = {};
        claims.forEach(function (c) { edges[c.start] = edges[c.end] = true; });
        found.forEach(function (f) { edges[f.start] = edges[f.end] = true; });
        var cuts = Object.keys(edges).map(Number).sort(function (a, b) { return a - b; });
        var chars = Array.from(text);  // code points, as the offsets count them
        var chosenNode = null;
        paragraphs.forEach(function (p) {
            var para = document.createElement("p");
            para.setAttribute("data-start", p[0]);
            para.setAttribute("data-end", p[1]);
            var points = [p[0]].concat(cuts.filter(function (e) { return e > p[0] && e < p[1]; }), [p[1]]);
            for (var k = 0; k + 1 < points.length; k++) {
                var start = points[k], end = points[k + 1];
                var covering = claims.filter(function (c) { return c.start <= start && end <= c.end; });
                var hits = found.map(function (f, i) { return [f, i]; })
                    .filter(function (h) { return h[0].start <= start && end <= h[0].end; });
                var piece;
                if (hits.length) {
                    piece = document.createElement("mark");
                    piece.className = "factbase-found";
                    var index = hits[0][1];
                    if (index === chosen) {
                        piece.classList.add("factbase-found-chosen");
                        chosenNode = chosenNode || piece;
                    }
                    piece.setAttribute("data-occurrence", index);
                    piece.title = (index === chosen ? "The claim will point here" : "Click to point the claim here")
                        + (covering.length ? "; also " + covering.map(function (c) {
                            return "claim #" + c.id + " by " + c.speaker.name + " (" + c.status + ")";
                        }).join("; ") : "");
                } else if (covering.length) {
                    var top = covering[covering.length - 1];
                    piece = document.createElement("mark");
                    piece.className = "factbase-claim factbase-status-" + top.status
                        + (covering.length > 1 ? " factbase-overlap" : "");
                    piece.setAttribute("data-claims", covering.map(function (c) { return c.id; }).join(" "));
                    piece.title = covering.map(function (c) {
                        return "Claim #" + c.id + " by " + c.speaker.name + " (" + c.status + ")";
                    }).join("; ");
                } else {
                    piece = document.createElement("span");
                }
                piece.setAttribute("data-start", start);
                piece.setAttribute("data-end", end);
                piece.textContent = chars.slice(start, end).join("");
                para.appendChild(piece);
            }
            container.appendChild(para);
        });
        return chosenNode;
    }

    function claimForm() {
        var panel = document.getElementById("factbase-source-panel");
        var sourceField = document.getElementById("id_source");
        if (!panel || !sourceField) { return; }
        var status = document.getElementById("factbase-panel-status");
        var overlap = document.getElementById("factbase-panel-overlap");
        var heading = document.getElementById("factbase-panel-source");
        var container = document.getElementById("factbase-panel-text");
        var kindField = document.getElementById("id_kind");
        var textField = document.getElementById("id_text");
        var passageField = document.getElementById("id_span_exact");
        var hintField = document.getElementById("id_span_hint");
        var claimId = panel.getAttribute("data-claim-id");
        var savedStart = panel.getAttribute("data-span-start");
        var source = null;       // the loaded workbench.json
        var generation = 0;      // answers to older requests are dropped
        var timer = null;

        function url(template, id) { return template.replace("__source__", encodeURIComponent(id)); }

        function say(message, notFound) {
            status.textContent = message;
            status.classList.toggle("factbase-not-found", !!notFound);
        }

        function isQuote() { return !kindField || kindField.value !== "paraphrase"; }

        function wanted() {
            // As Claim.clean(): a direct quote is found from its text, a paraphrase from its passage.
            var field = isQuote() ? textField : passageField;
            return field ? field.value : "";
        }

        function hint() {
            if (hintField && hintField.value !== "") { return hintField.value; }
            return savedStart || "";
        }

        function otherClaims() {
            return source.claims.filter(function (c) { return c.start !== null && String(c.id) !== claimId; });
        }

        function show(found, chosen) {
            overlap.hidden = true;
            var node = render(container, source.text, source.paragraphs, otherClaims(), found, chosen);
            if (node) {
                container.scrollTop = Math.max(0, node.offsetTop - container.offsetTop - container.clientHeight / 3);
            }
        }

        function load(id) {
            var mine = ++generation;
            source = null;
            container.textContent = "";
            overlap.hidden = true;
            heading.textContent = "";
            if (!id) { return say("Pick the source to see its text here."); }
            say("Loading the source's text…");
            fetch(url(panel.getAttribute("data-workbench-url"), id), {credentials: "same-origin",
                                                                        headers: {Accept: "application/json"}})
                .then(function (response) {
                    if (!response.ok) { throw new Error(response.status === 403 ? "You may not view this source."
                                                                                : "The source could not be loaded."); }
                    return response.json();
                })
                .then(function (data) {
                    if (mine !== generation) { return; }
                    source = data;
                    var link = document.createElement("a");
                    link.href = data.url;
                    link.textContent = data.title;
                    heading.appendChild(link);
                    if (!data.text) {
                        return say("The source's text is not held, so the claim cannot be found in it.");
                    }
                    show([], null);
                    find();
                })
                .catch(function (error) { if (mine === generation) { say(error.message, true); } });
        }

        function find() {
            if (!source || !source.text) { return; }
            var query = wanted();
            var what = isQuote() ? "quote (the claim's text)" : "passage";
            if (!query.trim()) {
                show([], null);
                return say("Type the " + what + " to find it in the source text.");
            }
            var mine = ++generation;
            var params = new URLSearchParams({q: query});
            if (hint() !== "") { params.set("near", hint()); }
            if (claimId) { params.set("exclude", claimId); }
            fetch(url(panel.getAttribute("data-find-url"), source.id) + "?" + params.toString(),
                  {credentials: "same-origin", headers: {Accept: "application/json"}})
                .then(function (response) { return response.json().then(function (body) { return [response, body]; }); })
                .then(function (pair) {
                    if (mine !== generation) { return; }
                    var response = pair[0], data = pair[1];
                    if (!response.ok) {
                        return say(Object.keys(data).map(function (k) { return data[k]; }).join(" "), true);
                    }
                    show(data.found, data.chosen);
                    if (!data.found.length) {
                        return say("The " + what + " is not found in the source text (white space, case and "
                                   + "typographic quotes are ignored when looking).", true);
                    }
                    var at = data.found[data.chosen];
                    var where = "characters " + at.start + " to " + at.end;
                    if (data.found.length === 1) {
                        say("Found in the source text at " + where + ".");
                    } else {
                        say("Found " + data.found.length + " times in the source text; the claim will point to the "
                            + "one at " + where + " (in bold). Click another occurrence to point it there.");
                    }
                    if (at.message) {
                        overlap.textContent = at.message;
                        overlap.hidden = false;
                    }
                })
                .catch(function () { if (mine === generation) { say("The quote could not be looked for.", true); } });
        }

        function later() {
            window.clearTimeout(timer);
            timer = window.setTimeout(find, 300);
        }

        container.addEventListener("click", function (event) {
            var mark = event.target.closest("mark.factbase-found");
            if (!mark || !hintField) { return; }
            hintField.value = mark.getAttribute("data-start");
            find();
        });
        [textField, passageField].forEach(function (field) {
            if (field) { field.addEventListener("input", later); }
        });
        if (kindField) { kindField.addEventListener("change", find); }
        // The source is an autocomplete (select2, which tells jQuery, not the DOM, of a change).
        sourceField.addEventListener("change", function () { load(sourceField.value); });
        if (window.django && window.django.jQuery) {
            window.django.jQuery(sourceField).on("change", function () { load(sourceField.value); });
        }
        load(sourceField.value);
    }

    function ready() {
        sourcePage();
        claimForm();
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", ready);
    } else {
        ready();
    }
}());
