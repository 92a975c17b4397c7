def portal(request):
    return {}
