"""python manage.py create_xapi_client NAME  -> {"key": ..., "secret": ...}"""

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError

from tutoring.xapi.credentials import register_client


class Command(BaseCommand):
    help = "Register a learning tool allowed to send xAPI statements; prints its HTTP Basic credentials once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")

    def handle(self, *args, **options) -> None:
        try:
            client, secret = register_client(options["name"])
        except IntegrityError as problem:
            raise CommandError(f"a client named {options['name']!r} already exists") from problem
        self.stdout.write(json.dumps({"name": client.name, "key": client.key, "secret": secret}))
