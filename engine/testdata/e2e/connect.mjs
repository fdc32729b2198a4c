// Connect to "/" and to "/admin" multiplexed on one Engine.IO connection,
// with auth payloads vetted by namespace middleware.
import { manager, socket, mode, main, ready, connected, once, mark } from "./lib.mjs";

main(async () => {
  const res = { mode };

  // One Manager, two namespaces: one engine connection.
  const mA = manager();
  const root = mA.socket("/", { auth: { token: "root-token" } });
  const admin = mA.socket("/admin", { auth: { token: "admin-token", user: "ann" } });
  res.transport = await ready(root);
  await connected(admin);
  res.rootEngineId = root.io.engine.id;
  res.adminEngineId = admin.io.engine.id;
  res.rootSid = root.id;
  res.adminSid = admin.id;
  res.rootWho = await root.emitWithAck("whoami");
  res.adminWho = await admin.emitWithAck("whoami");
  res.engineTransport = mA.engine.transport.name;
  mark("multiplexed");

  // Same connection: "/" accepted, "/admin" refused by its middleware.
  const mB = manager();
  const rootB = mB.socket("/", { auth: { token: "root-token" } });
  const badAdmin = mB.socket("/admin", { auth: { token: "wrong" } });
  const errAdmin = await once(badAdmin, "connect_error");
  res.badAdmin = { message: errAdmin.message, data: errAdmin.data ?? null, connected: badAdmin.connected };
  await ready(rootB);
  res.rootBWho = await rootB.emitWithAck("whoami");
  res.rootBEngineId = mB.engine.id;
  mark("refusedAdmin");

  // A connection of its own with a wrong token on "/".
  const badRoot = socket("/", { auth: { token: "nope" } });
  const errRoot = await once(badRoot, "connect_error");
  res.badRoot = { message: errRoot.message, data: errRoot.data ?? null };
  mark("refusedRoot");

  // No auth at all: the middleware sees {}.
  const noAuth = socket("/");
  const errNoAuth = await once(noAuth, "connect_error");
  res.noAuth = { message: errNoAuth.message, data: errNoAuth.data ?? null };
  mark("noAuth");

  // A namespace the server does not have.
  const unknown = mA.socket("/nowhere", { auth: { token: "root-token" } });
  const errUnknown = await once(unknown, "connect_error");
  res.unknown = { message: errUnknown.message };
  mark("unknown");

  // The refusals left the multiplexed sockets alone.
  res.rootStillWho = await root.emitWithAck("whoami");
  res.adminStillWho = await admin.emitWithAck("whoami");

  return res;
});
