"""``{% people_picker "members" "group-members" %}``: a people chip picker
(collab.widgets.ChipPicker) outside a Django form, posting user names."""

from django import template

from collab.widgets import ChipPicker

register = template.Library()


@register.simple_tag
def people_picker(name: str, element_id: str, exclude_self: bool = True):
    return ChipPicker(ChipPicker.PEOPLE, exclude_self=exclude_self).render(
        name, [], attrs={"id": element_id}
    )
