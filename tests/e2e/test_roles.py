"""Roles: /help per role, the shared guard, trainer management by admins, command menus."""

from __future__ import annotations

from sqlalchemy import select

from bot.models import Role, User

CLIENT_MENU = [
    "start",
    "help",
    "classes",
    "mybookings",
    "calendar",
    "tip",
    "checkin",
    "progress",
    "buddy",
    "privacy",
    "settings",
    "cancel",
]
TRAINER_MENU = [
    *CLIENT_MENU,
    "newclass",
    "myclasses",
    "schedule",
    "broadcast",
    "tipstats",
    "addtip",
    "clients",
    "dashboard",
]


async def role_of(db, user_id: int) -> Role | None:
    async with db.reading() as session:
        return await session.scalar(select(User.role).where(User.id == user_id))


async def test_help_lists_the_commands_of_each_role(onboarded, admin_id, tg):
    client = await onboarded("Cara")
    admin = await onboarded("Ada", id=admin_id)

    await client.send("/help")
    text = (await client.expect("Here is what I can do for you")).text
    assert "/settings – Your language, time zone, reminders and notifications" in text
    assert "/trainer" not in text
    assert "/broadcast" not in text

    await admin.send("/help")
    text = (await admin.expect("Here is what I can do for you")).text
    assert "/trainer – Add, remove or list trainers" in text
    assert "/broadcast – Send a message to your clients" in text
    assert "/settings" in text


async def test_help_for_a_trainer(onboarded, admin_id):
    admin = await onboarded("Ada", id=admin_id)
    trainer = await onboarded("Tess")
    await admin.send(f"/trainer add {trainer.id}")
    await admin.expect("is now a trainer")
    await trainer.expect("You're now a trainer")
    await trainer.send("/help")
    text = (await trainer.expect("Here is what I can do for you")).text
    assert "/broadcast" in text
    assert "/trainer" not in text


async def test_help_before_start_points_to_start(bot, tg):
    stranger = tg.user("Sam")
    await stranger.send("/help")
    assert "Send /start to begin" in (await stranger.expect()).text


async def test_admin_adds_lists_and_removes_a_trainer(onboarded, admin_id, db, tg):
    admin = await onboarded("Ada", id=admin_id)
    tom = await onboarded("Tom", last_name="Hill", username="tomhill")

    await admin.send(f"/trainer add {tom.id}")
    await admin.expect(f"Tom Hill @tomhill ({tom.id}) is now a trainer.")
    assert await role_of(db, tom.id) == Role.TRAINER
    # Tom is told, and where to start.
    told = await tom.expect("You're now a trainer")
    assert "/newclass" in told.text
    # The new trainer's menu is theirs alone.
    menus = await tg.commands()
    assert [c["command"] for c in menus[f"chat:{tom.id}"]] == TRAINER_MENU

    await admin.send("/trainer add @TomHill")
    await admin.expect("is already a trainer.")
    await tom.expect_nothing()

    await admin.send("/trainer list")
    listing = await admin.expect("Admins")
    assert f"Ada ({admin_id})" in listing.text
    assert f"Tom Hill @tomhill ({tom.id})" in listing.text.split("Trainers")[1]

    await admin.send("/trainer remove @tomhill")
    await admin.expect("is no longer a trainer.")
    assert await role_of(db, tom.id) == Role.CLIENT
    await tom.expect("An admin has made you a client again")
    assert f"chat:{tom.id}" not in await tg.commands()

    await admin.send("/trainer list")
    assert "No trainers yet" in (await admin.expect("Admins")).text


async def test_trainer_command_bad_inputs(onboarded, admin_id, tg):
    admin = await onboarded("Ada", id=admin_id)
    await admin.send("/trainer")
    await admin.expect("Usage:")
    await admin.send("/trainer promote 5")
    await admin.expect("Usage:")
    await admin.send("/trainer add")
    await admin.expect("Usage:")
    await admin.send("/trainer add 424242")
    await admin.expect("424242 hasn't started the bot yet.")
    await admin.send("/trainer add tom")
    await admin.expect("'tom' is not a user id.")
    await admin.send(f"/trainer add {admin_id}")
    await admin.expect("is an admin and can already do everything a trainer can.")
    client = await onboarded("Cid")
    await admin.send(f"/trainer remove {client.id}")
    await admin.expect("Cid is not a trainer.")


async def test_clients_and_trainers_are_refused_admin_commands(onboarded, admin_id, db):
    admin = await onboarded("Ada", id=admin_id)
    client = await onboarded("Cara")
    trainer = await onboarded("Tess")
    await admin.send(f"/trainer add {trainer.id}")
    await admin.expect("is now a trainer")
    await trainer.expect("You're now a trainer")

    for person in (client, trainer):
        await person.send(f"/trainer add {person.id}")
        refusal = await person.expect("Sorry, only admins can do that.")
        assert "ask an admin" in refusal.text
    assert await role_of(db, client.id) == Role.CLIENT
    assert await role_of(db, trainer.id) == Role.TRAINER


async def test_command_menus_are_set_per_scope(onboarded, admin_id, tg):
    await onboarded("Ada", id=admin_id)
    menus = await tg.commands()
    client_menu = [c["command"] for c in menus["all_private_chats"]]
    assert client_menu == CLIENT_MENU
    assert [c["command"] for c in menus["all_group_chats"]] == ["help"]  # clients in groups
    assert menus["default"] == menus["all_private_chats"]
    # An admin who starts the bot gets the admin menu in their chat at once.
    assert [c["command"] for c in menus[f"chat:{admin_id}"]][-1] == "trainer"


async def test_admin_menu_published_at_start_up(bot_settings, db, clock, tg, admin_id):
    from tests.harness import onboard, running_bot

    admin = tg.user("Ada", id=admin_id)
    async with running_bot(bot_settings, db, clock):
        await onboard(admin)
    async with running_bot(bot_settings, db, clock):
        await admin.send("/help")
        await admin.expect("Here is what I can do")
        menus = await tg.commands()
    assert [c["command"] for c in menus[f"chat:{admin_id}"]] == [*TRAINER_MENU, "trainer"]


async def test_admin_ids_removed_from_settings_lose_the_role(bot_settings, db, clock, tg, admin_id):
    from tests.harness import onboard, running_bot

    admin = tg.user("Ada", id=admin_id)
    async with running_bot(bot_settings, db, clock):
        await onboard(admin)
    assert await role_of(db, admin_id) == Role.ADMIN
    demoted = bot_settings.model_copy(update={"admin_ids": frozenset()})
    async with running_bot(demoted, db, clock):
        await admin.send(f"/trainer add {admin_id}")
        await admin.expect("Sorry, only admins can do that.")
    assert await role_of(db, admin_id) == Role.CLIENT
