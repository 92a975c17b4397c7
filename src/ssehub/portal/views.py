from django.http import HttpResponse


def home(request):
    return HttpResponse("SSE Hub")


item_list = item_detail = file_download = organisation = home
