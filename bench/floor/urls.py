"""The floor's two URLs, at Factbase's paths, so that the same wrk inputs serve both."""

from django.urls import path

from bench.floor import views

urlpatterns = [
    path("api/v1/claims/", views.claims),
    path("api/v1/claims/<int:claim_id>/", views.claim),
]
