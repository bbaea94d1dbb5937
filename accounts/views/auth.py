"""Sign-in, language choice and profile."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from ..models import Language
from ..services.users import user_set_language


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(label=_("Email"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}))

    error_messages = {
        "invalid_login": _("The email or password is not right. Both are case-sensitive except the email."),
        "inactive": _("This account is deactivated."),
    }


class LoginView(auth_views.LoginView):
    form_class = EmailAuthenticationForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        """A member whose only role is rep lands on the day plan (what a rep opens first, on a
        phone); everyone else on the home page. An explicit ``next`` wins, as before."""
        from django.urls import reverse

        from accounts.principal import active_membership

        membership = active_membership(self.request.user.pk)
        if membership is not None and list(membership.roles) == ["rep"]:
            return reverse("planning:today")
        return super().get_default_redirect_url()

    def form_valid(self, form):
        response = super().form_valid(form)
        lang = form.get_user().language
        if lang:
            response.set_cookie(
                "sfe_language", lang, max_age=365 * 24 * 3600, samesite="Lax",
                secure=self.request.is_secure(),
            )
        return response


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)


@require_POST
def set_language(request):
    """Choose the interface language; for a signed-in user the choice is saved."""
    form = LanguageForm(request.POST)
    next_url = request.POST.get("next") or "/"
    if not next_url.startswith("/") or next_url.startswith("//"):
        next_url = "/"
    response = redirect(next_url)
    if form.is_valid():
        lang = form.cleaned_data["language"]
        if request.user.is_authenticated:
            user_set_language(user=request.user, language=lang)
        translation.activate(lang)
        response.set_cookie("sfe_language", lang, max_age=365 * 24 * 3600, samesite="Lax",
                            secure=request.is_secure())
    return response


@login_required
def profile(request):
    form = LanguageForm(initial={"language": request.user.language or translation.get_language()})
    return render(request, "accounts/profile.html", {"form": form})


def locked_out(request, credentials=None, *args, **kwargs):
    messages.error(request, _("Too many failed sign-ins. The account is locked for a while; try again later."))
    return render(request, "registration/locked_out.html", status=429)
