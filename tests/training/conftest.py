import pytest


@pytest.fixture
def training_world(directorate_factory, user_factory):
    """Two directorates, a manager and their staff, a trainer, an HR officer,
    a domain and courses: open to all, addressed to the region only, unpublished."""
    from training.models import Course, Domain

    central = directorate_factory(kind="central", code="dsi")
    region = directorate_factory(kind="regional", code="rab")
    manager = user_factory(directorate=central, role="manager")
    people = {
        "central": central,
        "region": region,
        "manager": manager,
        "staff": user_factory(directorate=central, manager=manager),
        "other": user_factory(directorate=central, manager=manager),
        "regional_staff": user_factory(directorate=region),
        "trainer": user_factory(directorate=central, role="trainer"),
        "hr": user_factory(directorate=central, role="hr_officer"),
    }
    domain = Domain.objects.create(code="law", name_ar="القانون", name_fr="Droit", name_en="Law")
    open_course = Course.objects.create(
        code="press-law",
        title_ar="قانون الصحافة",
        title_fr="Droit de la presse",
        domain=domain,
        duration_hours=6,
        seats=2,
        published=True,
    )
    open_course.trainers.add(people["trainer"])
    regional = Course.objects.create(
        code="regional-only", title_fr="Cours régional", domain=domain, published=True
    )
    regional.audience_directorates.add(region)
    draft = Course.objects.create(code="draft", title_fr="Brouillon", domain=domain)
    return {
        **people,
        "domain": domain,
        "open_course": open_course,
        "regional": regional,
        "draft": draft,
    }


@pytest.fixture
def english_world(training_world):
    """The same world with everyone reading English (messages asserted as written)."""
    from collab.models import User

    people = [v for v in training_world.values() if isinstance(v, User)]
    User.objects.filter(pk__in=[p.pk for p in people]).update(preferred_language="en")
    for person in people:
        person.preferred_language = "en"
    return training_world
