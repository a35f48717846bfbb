"""Staff page: who works here, in which roles; program administrators invite and change roles."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts import operations, queries, roles
from accounts.signed_in import signed_in_user
from settlement.errors import DomainError
from settlement.staff import access

PAGE_SIZE = 50
ROLE_CHOICES = [(code, name) for code, name in roles.ROLE_CODES.items()]


class StaffMemberForm(forms.Form):
    email = forms.EmailField()
    full_name = forms.CharField(max_length=200, required=False)
    roles = forms.MultipleChoiceField(
        choices=ROLE_CHOICES, widget=forms.CheckboxSelectMultiple, required=False
    )


@access.staff_required
def members(request: HttpRequest) -> HttpResponse:
    """List staff and their roles; a program administrator invites staff or changes roles.

    The same form does both: an email not yet staff is invited, an existing one gets exactly
    the roles ticked. Who may do it is decided by `operations.save_staff_member`.
    """
    user = signed_in_user(request)
    form = StaffMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            summary = operations.save_staff_member(
                email=form.cleaned_data["email"],
                role_codes=form.cleaned_data["roles"],
                full_name=form.cleaned_data["full_name"],
                granted_by=user,
                now=timezone.now(),
            )
        except DomainError as exc:
            field = exc.details.get("field")
            form.add_error(str(field) if field in ("email", "roles") else None, exc.message)
        else:
            invited = " and invited to set a password" if summary.invited else ""
            messages.success(request, f"{summary.email}: {summary.outcome.value}{invited}.")
            return redirect("staff:members")
    page = Paginator(queries.staff_members(), PAGE_SIZE).get_page(request.GET.get("page"))
    listed = [
        (member, roles.codes_of(group_names=[group.name for group in member.groups.all()]))
        for member in page
    ]
    context = {
        "form": form,
        "page": page,
        "members": listed,
        "role_names": roles.ROLE_CODES,
        "can_manage": queries.is_program_administrator(user=user),
    }
    return render(request, "staff/members.html", context)
