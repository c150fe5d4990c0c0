import "dkfds-css";
import { render } from "preact";
import { session } from "../api/client";

// The local runner's demo users (local/seed.py); the runner mints their dev tokens at POST /dev/token.
const CITIZENS = ["Hanne Jensen", "Anders Nielsen"];

async function signIn(role: string, user = 0) {
  const response = await fetch("/dev/token", { method: "POST", body: JSON.stringify({ role, user }) });
  const { token } = await response.json();
  session.signIn(token);
  location.assign("/");
}

function Start() {
  return (
    <main class="container page-container" id="main">
      <h1>Lokal startside</h1>
      <p>Kun til udvikling: vælg en rolle og en demobruger. I AWS logger du ind med MitID.</p>
      <h2>Borger</h2>
      <ul class="nobullet-list">
        {CITIZENS.map((name, index) => (
          <li key={name}>
            <button class="button button-primary" type="button" onClick={() => signIn("citizen", index)}>
              Log ind som {name}
            </button>
          </li>
        ))}
      </ul>
      <p>Medarbejder- og administratorappen kommer senere.</p>
    </main>
  );
}

render(<Start />, document.getElementById("app")!);
