// Runs the engine (WebAssembly) off the main thread: every message is one call of the JSON API.
// Messages in: {id, op, ...}; out: {id, progress} while simulating, then {id, ok, answer, ms} or
// {id, ok: false, error} (the engine's own errors are documents inside `answer`).
import init, * as dk from "./pkg/dispatchkit_web.js";

let ready = null;
let boston = null;

async function engine() {
  if (!ready) ready = init();
  return ready;
}

async function bostonExtract() {
  if (!boston) {
    const response = await fetch("data/boston.json");
    if (!response.ok) throw new Error("the Boston extract is missing (run web/build.sh with ../shared/data present)");
    boston = await response.json();
  }
  return boston;
}

// The scenario spec with the Boston extract filled in.
async function spec(s) {
  if (s.boston) return { boston: { ...s.boston, extract: await bostonExtract() } };
  return s;
}

async function handle(msg) {
  await engine();
  switch (msg.op) {
    case "hello":
      return { version: dk.version() };
    case "check":
      return JSON.parse(dk.checkPolicy(msg.source));
    case "scenario":
      return JSON.parse(dk.scenario(JSON.stringify(await spec(msg.spec))));
    case "simulate": {
      const request = JSON.stringify({ scenario: await spec(msg.spec), policy: msg.policy, config: msg.config });
      const t0 = performance.now();
      const text = dk.simulateWithProgress(request, (fraction) => {
        self.postMessage({ id: msg.id, progress: fraction });
        return true;
      });
      const ms = performance.now() - t0;
      return { answer: JSON.parse(text), ms };
    }
    case "explain":
      return JSON.parse(dk.explain(JSON.stringify(msg.request)));
    case "candidates":
      return JSON.parse(dk.candidates(JSON.stringify(msg.request)));
    default:
      throw new Error(`unknown operation ${msg.op}`);
  }
}

self.onmessage = async (event) => {
  const msg = event.data;
  try {
    const answer = await handle(msg);
    self.postMessage({ id: msg.id, ok: true, answer });
  } catch (e) {
    // A trap (a bug in the engine; the panic hook has printed it) leaves the module unusable: the
    // page replaces this worker.
    const trap = e instanceof WebAssembly.RuntimeError;
    self.postMessage({ id: msg.id, ok: false, trap, error: String(e && e.message ? e.message : e) });
  }
};
