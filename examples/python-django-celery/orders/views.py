import json

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from orders.models import Order
from orders.tasks import send_receipt


@csrf_exempt
@require_POST
def create_order(request: HttpRequest) -> JsonResponse:
    data = json.loads(request.body)
    order = Order.objects.create(email=data["email"], total_cents=int(data["total_cents"]))
    send_receipt.delay(order.pk)
    return JsonResponse({"id": order.pk}, status=201)
