"""Persistence: SQLAlchemy 2 models, async repositories, migrations, field encryption.

Nothing here imports Telegram or the bot package.
"""
