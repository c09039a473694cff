"""Rows written once and kept as written: the audit record of what was sent, received or
entered."""

from __future__ import annotations

from typing import ClassVar

from django.db import models


class WrittenOnce(models.Model):
    """Saving the row again or deleting it raises ``kept_error``; a change is a new row.

    The messages name the row by ``{pk}`` and say why it is kept."""

    kept_error: ClassVar[type[Exception]] = ValueError
    rewrite_message: ClassVar[str]
    delete_message: ClassVar[str]

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise self.kept_error(self.rewrite_message.format(pk=self.pk))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise self.kept_error(self.delete_message.format(pk=self.pk))
