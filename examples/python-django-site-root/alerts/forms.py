from django import forms


class PhoneUpDownForm(forms.Form):
    """Which state changes a phone call is made for."""

    up = forms.BooleanField(required=False, initial=True)
    down = forms.BooleanField(required=False, initial=True)

    def clean(self) -> None:
        super().clean()
        down = self.cleaned_data.get("down")
        up = self.cleaned_data.get("up")
        if not down and not up:
            self.add_error("down", "Please select at least one.")
