"""Demo data of the press space for `make run`: a press officer, the committee
and the director, three companies (print, electronic, audiovisual) with a
representative account, journalists and dossiers at various stages."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from collab.demo import DEMO_PASSWORD
from requests import services as engine
from requests.models import Organisation, RequestType

from . import dossiers, seed_dossiers
from .models import Company, CompanyMember, Journalist, Publication
from .models_dossiers import PressCampaign, SalaryFloor

User = get_user_model()
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

COMPANIES = [
    # username, code, name ar, name latin, medium, region, city, language, journalists
    ("akhbar", "akhbar", "الأخبار اليومية", "Al Akhbar Al Yawmiya", "print", "04", "Rabat", "ar",
     [("سعاد العلوي", "Souad Alaoui", "AB123456"), ("يوسف بناني", "Youssef Bennani", "AB234567"),
      ("مريم التازي", "Meryem Tazi", "AB345678")]),
    ("maghribnews", "maghrib-news", "مغرب نيوز", "Maghrib News", "electronic", "06",
     "Casablanca", "fr",
     [("كريم الإدريسي", "Karim Idrissi", "BE123456"), ("ليلى الفاسي", "Leila Fassi", "BE234567")]),
    ("atlastv", "atlas-tv", "أطلس تيفي", "Atlas TV", "audiovisual", "07", "Marrakech", "fr",
     [("حسن أمزيان", "Hassan Amzian", "EE123456"), ("نادية الشرقاوي", "Nadia Cherkaoui",
                                                    "EE234567")]),
]


def _photo() -> SimpleUploadedFile:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (300, 400), (90, 110, 140)).save(buffer, "JPEG")
    return SimpleUploadedFile("photo.jpg", buffer.getvalue(), content_type="image/jpeg")


def _checklist(kind: RequestType) -> tuple[dict, dict]:
    documents, issued = {}, {}
    for line in kind.documents.all():
        if line.accepted_types and "application/pdf" not in line.accepted_types:
            documents[line.pk] = _photo()
        else:
            documents[line.pk] = SimpleUploadedFile(f"document-{line.position}.pdf", PDF,
                                                    content_type="application/pdf")
        if line.validity_days:
            issued[line.pk] = timezone.localdate() - datetime.timedelta(days=10)
    return documents, issued


def _staff(username, first, last, name_ar, role, group=None):
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, first_name=first, last_name=last, role=role,
                    full_name_ar=name_ar, email=f"{username}@ministere.ma",
                    preferred_language="fr")
        user.set_password(DEMO_PASSWORD)
        user.save()
    if group:
        user.groups.add(Group.objects.get_or_create(name=group)[0])
    return user


def _open_campaign() -> None:
    today = timezone.localdate()
    if dossiers.campaign_for(today) is not None:
        return
    year = today.year + 1 if today.month >= 11 else today.year
    campaign, _ = PressCampaign.objects.update_or_create(year=year, defaults={
        "deposit_opens": today - datetime.timedelta(days=15),
        "deposit_closes": today + datetime.timedelta(days=45),
        "completion_opens": today + datetime.timedelta(days=46),
        "completion_closes": today + datetime.timedelta(days=75)})
    for medium, amount in (("print", 5000), ("electronic", 4500), ("audiovisual", 6000),
                           ("agency", 5000)):
        SalaryFloor.objects.get_or_create(campaign=campaign, medium=medium,
                                          defaults={"monthly_minimum": Decimal(amount)})


def _company(spec):
    username, code, name_ar, name_latin, medium, region, city, language, people = spec
    organisation, _ = Organisation.objects.get_or_create(
        code=code, defaults={"name_ar": name_ar, "name_fr": name_latin, "name_en": name_latin})
    number = 100000000000000 + len(code) * 1000 + sum(map(ord, code))
    company = Company.objects.filter(organisation=organisation).first() or \
        Company.objects.create(
            organisation=organisation, name_ar=name_ar, name_latin=name_latin,
            legal_form="sarl", rc_number=f"RC{number % 100000}", ice=f"{number:015d}",
            tax_id=str(number % 10000000), cnss_number=str(number % 1000000),
            address=f"12 avenue Mohammed V, {city}", city=city, region=region, medium=medium,
            legal_representative=people[0][1], email=f"contact@{code}.ma",
            phone="+212537000000", language=language, status=Company.Status.VERIFIED)
    member = User.objects.filter(username=username).first()
    if member is None:
        member = User(username=username, first_name=people[0][1], last_name="",
                      full_name_ar=people[0][0], email=f"direction@{code}.ma",
                      preferred_language=language, is_external=True)
        member.set_password(DEMO_PASSWORD)
        member.save()
    CompanyMember.objects.get_or_create(user=member, defaults={
        "company": company, "role": CompanyMember.Role.REPRESENTATIVE, "accepted": True})
    organisation.members.add(member)
    Publication.objects.get_or_create(company=company, title=name_latin,
                                      defaults={"medium": medium})
    journalists = []
    for name_ar_j, name_latin_j, cin in people:
        journalists.append(Journalist.objects.get_or_create(company=company, cin=cin, defaults={
            "name_ar": name_ar_j, "name_latin": name_latin_j, "position": "Journaliste",
            "hire_date": datetime.date(2019, 9, 1), "cnss_number": "1234567"})[0])
    return company, member, journalists


def seed_press_demo() -> dict:
    """Idempotent enough for an empty database (what `make run` seeds)."""
    # The types come with the migrations; seeded again (idempotent) in case the
    # tables were emptied since, as a test's flush does.
    from django.apps import apps

    seed_dossiers.seed(apps)
    officer = _staff("press.officer", "Amina", "Berrada", "أمينة برادة",
                     User.Role.PRESS_OFFICER, "press_office")
    committee = [_staff("press.committee1", "Omar", "Kettani", "عمر الكتاني", User.Role.STAFF,
                        "press_committee"),
                 _staff("press.committee2", "Salma", "Ouazzani", "سلمى الوزاني",
                        User.Role.STAFF, "press_committee")]
    director = _staff("press.director", "Rachid", "Lahlou", "رشيد لحلو", User.Role.MANAGER,
                      "press_director")
    _open_campaign()
    companies = [_company(spec) for spec in COMPANIES]
    card = dossiers.request_type("press_card")
    train = dossiers.request_type("train_card")
    support = dossiers.request_type("press_support")
    committee_number = dossiers.request_type("press_committee")
    made = 0
    (print_co, print_member, print_people), (web_co, web_member, web_people), \
        (tv_co, tv_member, tv_people) = companies

    def card_for(company, member, journalist, salary):
        documents, issued = _checklist(card)
        return dossiers.file_press_card(member, company, journalist_id=journalist.pk,
                                        position="Journaliste", monthly_salary=salary,
                                        documents=documents, issued_on=issued)

    with transaction.atomic():
        if Company.objects.filter(pk=print_co.pk).exists() and not print_co.organisation \
                .applications.exists():
            # In review at the press office.
            card_for(print_co, print_member, print_people[0], "7500")
            # Returned for correction: the criminal record is too old.
            returned = card_for(print_co, print_member, print_people[1], "6200")
            record = card.documents.filter(validity_days__isnull=False).first()
            engine.return_for_correction(returned.pk, officer, items=[
                {"kind": "document_outdated", "document": record.pk,
                 "text": "Le casier judiciaire doit dater de moins de 3 mois."}])
            # Approved: the card is issued.
            done = card_for(web_co, web_member, web_people[0], "9000")
            engine.decide(done.pk, officer, approve=True, comment="Dossier complet.")
            # A train card granted.
            documents, issued = _checklist(train)
            granted = dossiers.file_train_card(tv_member, tv_co, journalist_id=tv_people[0].pk,
                                               documents=documents, issued_on=issued)
            engine.decide(granted.pk, officer, approve=True)
            # Direct support waiting for the committee.
            documents, issued = _checklist(support)
            aid = dossiers.file_support(tv_member, tv_co, professional_journalists=8,
                                        years_of_activity=6, annual_turnover="4500000",
                                        requested_amount="350000", documents=documents,
                                        issued_on=issued)
            engine.decide(aid.pk, officer, approve=True, comment="Éligible.")
            # A joint committee number in review.
            documents, issued = _checklist(committee_number)
            dossiers.file_committee_number(print_member, print_co,
                                           publication_id=print_co.publications.first().pk,
                                           renewal=False, documents=documents,
                                           issued_on=issued)
            made = 6
    return {"companies": len(companies), "dossiers": made, "officer": officer.username,
            "committee": [c.username for c in committee], "director": director.username}
