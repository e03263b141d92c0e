// What a TypeScript front end writes against index.d.ts; tsc checks it (scripts/check), so
// the declarations stay usable. Not run.
import { joinRoom, WatchpartyError, type Room, type RoomState } from "watchparty-client";

export async function filmNight(video: HTMLVideoElement): Promise<() => void> {
  const room: Room = await joinRoom("https://watch.example", "Xb3k9QmT_2ae", { name: "Ann" });
  room.on("state", (state: RoomState, change) => console.log(state.version, change.event, change.by));
  try {
    await room.seek(42);
  } catch (error) {
    if (error instanceof WatchpartyError && error.code === "forbidden") console.log(error.params);
  }
  const position: number = room.position();
  await room.setQueue(room.state ? room.state.queue : []);
  console.log(position, room.members.map((m) => m.role));
  return room.attach(video);
}
