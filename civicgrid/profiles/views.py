"""The profile page of a street (its administrators, superusers) or a district (superusers):
each setting with the value in force, what it would inherit and from where, and a "use the
default" reset. The area comes through restrict() (anyone else: 404); every write goes
through profiles.actions."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from civicgrid.core import profile
from civicgrid.core.capabilities import require

from . import actions
from .forms import ProfileForm


@login_required
def profile_index(request: HttpRequest) -> HttpResponse:
    """The navigation's 街道配置: straight to the one street an administrator runs, else a
    list of the streets and districts the user may configure (superusers)."""
    require(request.user, "profiles.edit")
    areas = list(actions.editable_areas(request.user).order_by("kind", "code").only("code", "name", "kind"))
    if len(areas) == 1:
        return redirect("profiles:edit", code=areas[0].code)
    return render(request, "profiles/profile_index.html", {"areas": areas})


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest, code: str) -> HttpResponse:
    area = get_object_or_404(actions.editable_areas(request.user), code=code)
    # Bound on every POST: an empty one (every field cleared) inherits everything again.
    data = request.POST if request.method == "POST" else None
    form = ProfileForm(data, conf=profile.for_area(area.pk))
    if request.method == "POST":
        reset = request.POST.get("reset")
        if reset:
            actions.reset_setting(area, request.user, reset)
            messages.success(request, _("已恢复默认值。"))
            return redirect("profiles:edit", code=area.code)
        if form.is_valid():
            try:
                actions.save_profile(area, request.user, form.overrides())
            except ValidationError as exc:
                for key, errors in exc.message_dict.items():
                    form.add_error(form.field_of(key), errors)
            else:
                messages.success(request, _("已保存。"))
                return redirect("profiles:edit", code=area.code)
    return render(request, "profiles/profile_form.html", {"area": area, "form": form})
