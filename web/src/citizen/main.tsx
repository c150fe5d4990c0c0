import "dkfds-css";
import "./citizen.css";
import { render } from "preact";
import { session } from "../api/client";
import { AccessLog, Accessibility, Answer, History, Privacy, ReceiptPage, Settings, Tasks } from "./pages";
import { Link, usePath } from "./router";

function Page({ path }: { path: string }) {
  const task = path.match(/^\/opgaver\/([^/]+)$/);
  const receipt = path.match(/^\/kvittering\/([^/]+)$/);
  if (path === "/tilgaengelighed") return <Accessibility />;
  if (path === "/privatliv") return <Privacy />;
  if (!session.token())
    return (
      <>
        <h1>Log ind</h1>
        <p>Log ind med MitID for at se og besvare dine spørgeskemaer.</p>
        <p>
          <a class="button button-primary" href="/dev/">
            Log ind
          </a>
        </p>
      </>
    );
  if (task) return <Answer taskId={task[1]} />;
  if (receipt) return <ReceiptPage taskId={receipt[1]} />;
  if (path === "/historik") return <History />;
  if (path === "/indsigt") return <AccessLog />;
  if (path === "/indstillinger") return <Settings />;
  if (path === "/") return <Tasks />;
  return (
    <>
      <h1>Siden findes ikke</h1>
      <Link href="/">Gå til mine opgaver</Link>
    </>
  );
}

function App() {
  const path = usePath();
  return (
    <>
      <a class="skipnav" href="#main">
        Gå til indhold
      </a>
      <header class="header">
        <div class="portal-header">
          <div class="container portal-header-inner">
            <Link href="/" class="logo">
              <span>Kommunal PRO</span>
            </Link>
          </div>
        </div>
        <nav class="container" aria-label="Hovedmenu">
          <ul class="nobullet-list citizen-nav">
            <li><Link href="/">Mine opgaver</Link></li>
            <li><Link href="/historik">Mine besvarelser</Link></li>
            <li><Link href="/indsigt">Hvem har set mine oplysninger</Link></li>
            <li><Link href="/indstillinger">Påmindelser</Link></li>
          </ul>
        </nav>
      </header>
      <main class="container page-container" id="main" tabIndex={-1}>
        <Page path={path} />
      </main>
      <footer class="footer">
        <div class="container">
          <ul class="nobullet-list citizen-nav">
            <li><Link href="/tilgaengelighed">Tilgængelighedserklæring</Link></li>
            <li><Link href="/privatliv">Privatlivspolitik</Link></li>
          </ul>
        </div>
      </footer>
    </>
  );
}

render(<App />, document.getElementById("app")!);
