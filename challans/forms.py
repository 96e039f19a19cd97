"""The portal's forms: look-up by vehicle or by challan number, and the contest form."""

from __future__ import annotations

import re
import warnings

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

MAX_PHOTO_BYTES = 5 * 1024 * 1024
PHOTO_FORMATS = {"JPEG", "PNG"}
_PLATE_PARTS = re.compile(r"^([A-Z]+)(\d+)$")


def normalise_plate(raw: str) -> str:
    """`leb 5700`, `LEB-5700`, `leb5700` → `LEB-5700` (the registry's canonical form)."""
    compact = re.sub(r"[^A-Z0-9]", "", raw.upper())
    match = _PLATE_PARTS.match(compact)
    return f"{match.group(1)}-{match.group(2)}" if match else compact


def normalise_cnic(raw: str) -> str | None:
    """`35202-1234567-1` or `3520212345671` → `3520212345671`; None if not 13 digits."""
    digits = re.sub(r"[\s-]", "", raw)
    return digits if re.fullmatch(r"\d{13}", digits) else None


class CnicField(forms.CharField):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(
            label=_("Owner's CNIC"),
            help_text=_("13 digits, with or without dashes, e.g. 35202-1234567-1"),
            max_length=17,
            widget=forms.TextInput(
                attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}
            ),
            **kwargs,
        )

    def clean(self, value: str) -> str:
        cnic = normalise_cnic(super().clean(value))
        if cnic is None:
            raise forms.ValidationError(_("Enter the 13 digits of the CNIC."), code="cnic")
        return cnic


class DescribedForm(forms.Form):
    """Links each input to its help text and error for screen readers."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for name, field in self.fields.items():
            auto_id = self[name].auto_id
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"{auto_id}-help"

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                described = f"{self[name].auto_id}-error {widget.attrs.get('aria-describedby', '')}"
                widget.attrs.update({"aria-invalid": "true", "aria-describedby": described.strip()})


class VehicleLookupForm(DescribedForm):
    plate = forms.CharField(
        label=_("Vehicle registration number"),
        help_text=_("As on the number plate, e.g. LEB-5700"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocapitalize": "characters", "autocomplete": "off", "spellcheck": "false"}
        ),
    )
    cnic = CnicField()

    def clean_plate(self) -> str:
        plate = normalise_plate(self.cleaned_data["plate"])
        if not (3 <= len(plate) <= 16):
            raise forms.ValidationError(_("Enter the registration number."), code="plate")
        return plate


class NumberLookupForm(DescribedForm):
    number = forms.CharField(
        label=_("Challan number"),
        help_text=_("As printed on the challan"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    cnic = CnicField()

    def clean_number(self) -> str:
        return re.sub(r"\s", "", self.cleaned_data["number"]).upper()


class ContestForm(DescribedForm):
    reason = forms.CharField(
        label=_("Why do you contest this challan?"),
        min_length=10,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    photo = forms.FileField(
        label=_("Photo (optional)"),
        help_text=_("A JPEG or PNG image, at most 5 MB."),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"}),
    )

    def clean_photo(self) -> UploadedFile | None:
        photo: UploadedFile | None = self.cleaned_data.get("photo")
        if not photo:
            return None
        if photo.size is None or photo.size > MAX_PHOTO_BYTES:
            raise forms.ValidationError(_("The photo is larger than 5 MB."), code="too_large")
        self.photo_format = decoded_image_format(photo)
        if self.photo_format not in PHOTO_FORMATS:
            raise forms.ValidationError(_("The photo must be a JPEG or PNG image."), code="type")
        return photo


def decoded_image_format(photo: UploadedFile) -> str | None:
    """The format Pillow finds by fully decoding the file (the name and header are not trusted)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            photo.seek(0)
            with Image.open(photo) as image:
                image_format = image.format
                image.load()  # decodes every pixel: a truncated or disguised file fails here
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        return None
    finally:
        photo.seek(0)
    return image_format
