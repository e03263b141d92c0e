// The reference for bench/service.py: the part of watchparty's room protocol a hosted service
// mostly carries, on Node's own socket.io server, written as a user picking Node would:
// rooms by `auth`, ROOM_STATE on join, MEMBERS changes to the others, the TIME clock ping,
// SEEK / PLAY / PAUSE acked and broadcast, CHAT kept in memory (the newest 200 per room).
// No database: watchparty keeps its chat in MongoDB, whose process service.py counts apart.
// usage: PORT=9090 node server.js
"use strict";
const http = require("http");
const crypto = require("crypto");
const { Server } = require("socket.io");

const HISTORY = 200;
const JOIN_HISTORY = 50;
const LISTED = 100;  // as WATCHPARTY_MEMBER_LIST_MAX: a larger room tells only its count
const rooms = new Map();
const now = () => Date.now() / 1000;
const id = () => crypto.randomBytes(6).toString("base64url");

const server = http.createServer((req, res) => {
  const send = (code, body) => {
    res.writeHead(code, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  if (req.method === "POST" && req.url === "/api/rooms") {
    const room = id() + id();
    rooms.set(room, {
      state: { room, version: 0, video_id: null, playing: false, position: 0, updated_at: now(), rate: 1, queue: [] },
      members: new Map(),
      chat: [],
    });
    req.resume();
    return send(201, { id: room, url: `/r/${room}` });
  }
  if (req.url === "/healthz") return send(200, { ok: true });
  send(404, { error: { code: "not_found", message: "no such route" } });
});

const io = new Server(server, { cors: { origin: true } });
const nsp = io.of("/rooms");
nsp.use((socket, next) => {
  const { room, name } = socket.handshake.auth || {};
  if (!rooms.has(room)) return next(new Error("unknown room"));
  if (typeof name !== "string" || name.length < 1 || name.length > 40) return next(new Error("bad name"));
  next();
});

nsp.on("connection", (socket) => {
  const { room: roomId, name } = socket.handshake.auth;
  const room = rooms.get(roomId);
  const me = { id: id(), name, user_id: null, signed_in: false, role: "guest" };
  room.members.set(socket.id, me);
  socket.join(roomId);
  const count = room.members.size;
  const listed = count <= LISTED;
  socket.emit("ROOM_STATE", {
    state: room.state,
    members: listed ? [...room.members.values()] : [],
    listed,
    count,
    you: me,
    chat: room.chat.slice(-JOIN_HISTORY),
    server_time: now(),
  });
  socket.to(roomId).emit("MEMBERS", { joined: listed ? [me] : [], left: [], changed: [], count, listed });
  socket.on("disconnect", () => {
    room.members.delete(socket.id);
    const left = room.members.size;
    nsp.to(roomId).emit("MEMBERS", { joined: [], left: [me.id], changed: [], count: left, listed: left <= LISTED });
  });

  const answer = (ack, body) => typeof ack === "function" && ack(body);
  const invalid = (ack) => answer(ack, { ok: false, error: { code: "invalid", message: "bad payload" } });
  socket.on("TIME", (payload, ack) => {
    if (!payload || !Number.isFinite(payload.client_time)) return invalid(ack);
    answer(ack, { ok: true, client_time: payload.client_time, server_time: now() });
  });
  const command = (event, apply) => socket.on(event, (payload, ack) => {
    const state = room.state;
    if (!apply(state, payload || {})) return invalid(ack);
    state.version += 1;
    state.updated_at = now();
    answer(ack, { ok: true, state });
    socket.to(roomId).emit(event, { state, by: name, server_time: state.updated_at });
  });
  command("PLAY", (state) => (state.playing = true));
  command("PAUSE", (state) => !(state.playing = false));
  command("SEEK", (state, p) => Number.isFinite(p.timestamp) && p.timestamp >= 0 && ((state.position = p.timestamp), true));
  socket.on("CHAT", (payload, ack) => {
    const text = payload && typeof payload.text === "string" ? payload.text.trim() : "";
    if (!text || text.length > 500) return invalid(ack);
    const message = { id: id(), by: name, text, at: now(), member_id: me.id, user_id: null, signed_in: false };
    room.chat.push(message);
    if (room.chat.length > HISTORY) room.chat.shift();
    answer(ack, { ok: true, message });
    socket.to(roomId).emit("CHAT", message);
  });
});

server.listen(Number(process.env.PORT || 9090), "127.0.0.1", () => console.log(`reference listening on ${server.address().port}`));
