"""``/api/v1/auth/token/``: a user makes their API token with their username and password, and revokes it.

- ``POST {"username", "password"}``: the user's token (201 when it was made now, 200 when they had
  one). Wrong credentials: 400. Too many failures for one username from one address: 429 (the login
  lockout, django-axes, shared with the admin's login).
- ``DELETE`` (authenticated by the token, or a session): the caller's token is deleted (204); requests
  with it are refused from then on (401).

Neither the password nor the token is ever logged.
"""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_variables
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from api.serializers import StrictInputMixin
from factbase.plumbing.security import lockout_response


class TokenRequestSerializer(StrictInputMixin, serializers.Serializer):
    username = serializers.CharField(max_length=150, help_text="Your username.")
    password = serializers.CharField(max_length=4096, trim_whitespace=False, write_only=True,
                                     style={"input_type": "password"}, help_text="Your password.")


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send it as `Authorization: Token <token>`.")
    username = serializers.CharField(help_text="Whose token it is.")


class AuthTokenView(APIView):
    """Make or revoke your API token. A user has one token at a time: asking again returns the same
    token until it is revoked."""

    schema_error_codes = ("400", "401", "403", "406", "411", "413", "415", "429", "503")

    def get_permissions(self):
        if self.request is not None and self.request.method == "DELETE":
            return [IsAuthenticated()]
        return [AllowAny()]

    @extend_schema(
        operation_id="auth_token_create",
        summary="Get your API token",
        description=(
            "Exchange your username and password for your API token, to send as `Authorization: Token <token>`. "
            "201 when the token was made now, 200 when you already had one (the same token is returned). "
            "Wrong credentials are a 400. After several failed attempts for one username from one address, "
            "further attempts are refused with 429 for a while, even with the right password."
        ),
        request=TokenRequestSerializer,
        responses={200: TokenSerializer, 201: TokenSerializer},
        examples=[
            OpenApiExample("Credentials", value={"username": "editor", "password": "correct horse battery staple"},
                           request_only=True),
            OpenApiExample("Token", value={"token": "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b", "username": "editor"},
                           response_only=True),
        ],
    )
    @method_decorator(sensitive_variables("password", "data"))
    def post(self, request, *args, **kwargs):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = authenticate(request._request, username=data["username"], password=data["password"])
        if user is None:
            if getattr(request._request, "axes_locked_out", False):
                return lockout_response(request)
            raise serializers.ValidationError(
                {"non_field_errors": ["Unable to log in with the username and password given."]})
        token, created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key, "username": user.get_username()},
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        operation_id="auth_token_destroy",
        summary="Revoke your API token",
        description=(
            "Delete the token of the user making the request (authenticated by that token, or by a session). "
            "Requests with the token are refused (401) from then on; ask for a new one with POST."
        ),
        request=None,
        responses={204: OpenApiResponse(description="The token is revoked.")},
    )
    def delete(self, request, *args, **kwargs):
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
