from django.contrib import admin
from django.db import connection
from django.http import JsonResponse
from django.urls import path

from orders import views


def healthz(request):
    # The load balancer's check: the app is up and can reach its database.
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz/", healthz),
    path("orders/", views.create_order),
]
