from django.http import JsonResponse
from django.urls import path


def index(request):
    return JsonResponse({"checks": 0})


urlpatterns = [
    path("", index),
]
