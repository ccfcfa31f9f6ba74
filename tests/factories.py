"""factory-boy factories for the school's data (instead of fixture files)."""

import factory
from django.contrib.auth import get_user_model

from tutoring import models


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct-horse-battery")


class ProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Profile

    user = factory.SubFactory(UserFactory)
    role = models.Role.STUDENT


def student(**kwargs):
    return ProfileFactory(role=models.Role.STUDENT, **kwargs).user


def teacher(**kwargs):
    return ProfileFactory(role=models.Role.TEACHER, **kwargs).user


def school_admin(**kwargs):
    user = ProfileFactory(role=models.Role.ADMIN, **kwargs).user
    user.is_staff = True
    user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    return user


class ClassroomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Classroom

    name = factory.Sequence(lambda n: f"Class {n}")


class SkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Skill
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Skill {n}")
    description = factory.LazyAttribute(lambda s: f"Practice of {s.name}")


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Item
        skip_postgeneration_save = True

    kind = models.Item.Kind.EXERCISE
    title = factory.Sequence(lambda n: f"Exercise {n}")
    text = "What is 3/4 + 1/8?"
    answer = "7/8"
    status = models.Item.Status.APPROVED

    @factory.post_generation
    def skills(self, create, extracted, **kwargs):
        if create and extracted:
            self.skills.add(*extracted)


class XapiClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.XapiClient

    name = factory.Sequence(lambda n: f"tool {n}")
    key = factory.Sequence(lambda n: f"key{n:028d}")
    secret_hash = ""
