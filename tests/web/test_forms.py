"""The base forms: nothing typed is cut short, and free text keeps its direction."""

from django import forms

from ombud.web.forms import Form


class _Sample(Form):
    story = forms.CharField(max_length=10, widget=forms.Textarea, help_text="In your words.")
    name = forms.CharField(max_length=5)
    email = forms.EmailField(max_length=30)


def test_no_maxlength_is_rendered_and_a_text_area_says_its_limit():
    html = str(_Sample())
    assert "maxlength" not in html
    assert "In your words. Up to 10 characters." in html


def test_a_longer_text_is_refused_and_comes_back_whole():
    typed = "ABCDEFGHIJKLMNOP"
    form = _Sample({"story": typed, "name": "Ann", "email": "ann@example.org"})
    assert not form.is_valid()
    assert "it can be up to 10" in form.errors["story"][0]
    assert f">\n{typed}</textarea>" in str(form["story"])


def test_free_text_takes_the_direction_of_what_is_typed():
    form = _Sample()
    assert 'dir="auto"' in str(form["story"])
    assert 'dir="auto"' in str(form["name"])
    assert "dir=" not in str(form["email"])  # an address reads left to right
