"""xAPI clients get scopes; statements are linked to the client that stored them.

Decision for clients that exist before this migration: they keep statements/write
and get statements/read/mine (they read back only the statements they sent), the
same as a client registered afterwards without naming scopes. Why:

- xAPI 1.0.3 (Communication 4.2) says an LRS MUST assume statements/write and
  statements/read/mine when a tool asks for no scope; tools are written expecting it.
- A school admin who registered a quiz or video tool expects it to send answers, not
  to read every other tool's statements with the learners' e-mail addresses; keeping
  statements/read for everyone would keep the privacy hole this migration closes.
- What breaks least: sending never changes, and reading back one's own statements
  (to resume, or to check what arrived) keeps working. Only a tool that reads other
  tools' statements (a reporting dashboard) now sees its own alone, until an admin
  sets "may read" to every tool's statements in the admin. Each client's new scopes
  are written to the audit log so the admin can see what was decided for it.

Statements already carry the client that stored them (Statement.client) unless
that client was deleted; a statement without one whose authority names a client
that still exists (account name = its key) is linked to it; others stay unlinked,
readable only by clients with statements/read.
"""

import django.db.models.deletion
from django.db import migrations, models

AUTHORITY_HOME = "urn:edursft:xapi-client"  # tutoring.xapi.services.authority_for
SCOPES = ["statements/write", "statements/read/mine"]


def link_statements_and_audit_scopes(apps, schema_editor) -> None:
    XapiClient = apps.get_model("tutoring", "XapiClient")
    Statement = apps.get_model("tutoring", "Statement")
    AuditEvent = apps.get_model("tutoring", "AuditEvent")
    for client in XapiClient.objects.order_by("pk"):
        Statement.objects.filter(
            client__isnull=True,
            authority__account__homePage=AUTHORITY_HOME,
            authority__account__name=client.key,
        ).update(client=client)
        AuditEvent.objects.create(
            actor_name="system",
            action="xapi_client.scopes",
            target=client.name,
            details={
                "key": client.key,
                "scopes": SCOPES,
                "reason": "scopes introduced (migration 0006): existing clients send and read back "
                "only their own statements, xAPI's default; grant statements/read in the admin "
                "to a tool that reads other tools' statements",
            },
        )


class Migration(migrations.Migration):
    dependencies = [
        ("tutoring", "0005_lean_ingest_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="xapiclient",
            name="may_write",
            field=models.BooleanField(
                default=True, help_text="The statements/write scope.", verbose_name="may send statements"
            ),
        ),
        migrations.AddField(
            model_name="xapiclient",
            name="may_read",
            field=models.CharField(
                choices=[
                    ("none", "Nothing (sends only)"),
                    ("mine", "The statements it sent (statements/read/mine)"),
                    ("all", "Every tool's statements, learners' e-mail addresses included (statements/read)"),
                ],
                default="mine",
                help_text="Which statements GET /xapi/statements shows this tool.",
                max_length=8,
                verbose_name="may read",
            ),
        ),
        migrations.AddConstraint(
            model_name="xapiclient",
            constraint=models.CheckConstraint(
                condition=models.Q(("may_read__in", ["none", "mine", "all"])), name="xapi_client_reads_known"
            ),
        ),
        # The composite index first, so the foreign key is never without one.
        migrations.AddIndex(
            model_name="statement",
            index=models.Index(fields=["client", "stored", "id"], name="statement_client_stored"),
        ),
        migrations.AlterField(
            model_name="statement",
            name="client",
            field=models.ForeignKey(
                db_index=False,
                help_text="The tool that stored it: a tool allowed to read only its own statements sees these.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="statements",
                to="tutoring.xapiclient",
            ),
        ),
        migrations.RunPython(link_statements_and_audit_scopes, migrations.RunPython.noop),
    ]
