/** Shown when the UI has not been built: the release and live readiness, nothing else. */
export const FALLBACK_PAGE = (release: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Slipway</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; padding: 0 1rem; color: #1f2328; }
  code { background: #f3f4f6; padding: .1rem .3rem; border-radius: 4px; }
  .ok { color: #1a7f37; } .bad { color: #cf222e; }
</style>
</head>
<body>
<h1>Slipway</h1>
<p>Release <code>${release.replace(/[<>&"]/g, '')}</code>. The web UI is not built; run <code>npm run build</code>.</p>
<p>API readiness: <strong id="ready" aria-live="polite">checking…</strong></p>
<pre id="checks"></pre>
<script type="module">
  const el = document.getElementById('ready');
  try {
    const res = await fetch('/api/readyz');
    const body = await res.json();
    el.textContent = body.status;
    el.className = res.ok ? 'ok' : 'bad';
    document.getElementById('checks').textContent = JSON.stringify(body.checks, null, 2);
  } catch (error) {
    el.textContent = 'API unreachable';
    el.className = 'bad';
  }
</script>
</body>
</html>
`;
