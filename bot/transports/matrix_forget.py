"""What nio's crypto store keeps of one person and their direct room, and dropping it.

After /unohda the core asks the Matrix transport to forget the person's direct room
(``MatrixTransport.forget_chat``). matrix-nio 0.26 has no API to delete device keys or
sessions (its store only has ``delete_encrypted_room``, called when a room is forgotten), so
this module deletes the rows from the store's tables through nio's own peewee models, and
the same entries from the in-memory Olm machine, so that nio does not write them back:

- the room: its inbound Megolm sessions (and their forwarding chains), the outbound session,
  outgoing key requests and the "encrypted room" mark;
- the person, when they share no other room with the bot: their devices' keys, the Olm
  sessions with those devices, and their lines in the trust files
  (``…_ignored_devices`` etc.: the bot ignores unverified devices, so every device it ever
  encrypted for is listed there).

What cannot be removed: the homeserver's copy of the room and its (encrypted) events, the
person's own devices' copies, and nio's in-memory replay cache until the process restarts.
The nio store opens SQLite with ``secure_delete``, so deleted rows are overwritten.
"""

from __future__ import annotations

from typing import Any

from nio.store.file_trustdb import Key
from nio.store.models import (
    DeviceKeys,
    DeviceTrustState,
    EncryptedRooms,
    Keys,
    MegolmInboundSessions,
    OlmSessions,
    OutgoingKeyRequests,
)


def shares_other_room(client: Any, person: str, room_id: str) -> bool:
    """Whether ``person`` (``@a:b``) is in a room with the bot other than ``room_id``."""
    return any(
        person in room.users for other, room in dict(client.rooms).items() if other != room_id
    )


def drop_room_keys(client: Any, room_id: str) -> int:
    """Forget the Megolm material of ``room_id``; returns how many stored rows went."""
    olm = client.olm
    client.encrypted_rooms.discard(room_id)
    if olm is None:
        return 0
    olm.outbound_group_sessions.pop(room_id, None)
    olm.inbound_group_store._entries.pop(room_id, None)  # nio 0.26 has no public remover
    olm.outgoing_key_requests = {
        request_id: request
        for request_id, request in olm.outgoing_key_requests.items()
        if request.room_id != room_id
    }
    store = client.store
    removed = 0
    with store.database.bind_ctx(store.models), store.database.atomic():
        for model in (MegolmInboundSessions, OutgoingKeyRequests, EncryptedRooms):
            removed += model.delete().where(model.room_id == room_id).execute()
    return int(removed)


def drop_person_keys(client: Any, person: str) -> int:
    """Forget ``person``'s devices and the Olm sessions with them; returns stored rows gone."""
    olm = client.olm
    if olm is None:
        return 0
    devices = list(olm.device_store[person].values())
    curve_keys = [device.curve25519 for device in devices if device.curve25519]
    olm.device_store._entries.pop(person, None)  # nor here
    for curve in curve_keys:
        olm.session_store._entries.pop(curve, None)
    olm.tracked_users.discard(person)
    olm.users_for_key_query.discard(person)
    store = client.store
    keys = [Key.from_olmdevice(device) for device in devices if device.ed25519]
    for name in ("trust_db", "blacklist_db", "ignore_db"):
        trust_file = getattr(store, name, None)
        if trust_file is not None and keys:
            trust_file.remove_many(keys)
    removed = 0
    models = [*store.models, DeviceTrustState]
    with store.database.bind_ctx(models), store.database.atomic():
        stored = DeviceKeys.select(DeviceKeys.id).where(DeviceKeys.user_id == person)
        if store.database.table_exists(DeviceTrustState._meta.table_name):
            # Only in stores upgraded from nio's first schema.
            removed += (
                DeviceTrustState.delete().where(DeviceTrustState.device.in_(stored)).execute()
            )
        removed += Keys.delete().where(Keys.device.in_(stored)).execute()
        removed += DeviceKeys.delete().where(DeviceKeys.user_id == person).execute()
        if curve_keys:
            removed += OlmSessions.delete().where(OlmSessions.sender_key.in_(curve_keys)).execute()
    return int(removed)
