import { app, BrowserWindow, dialog, ipcMain, nativeTheme, session, shell, type IpcMainEvent, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ServerFrame } from '../common/api';
import { BridgeChannels } from '../common/bridge';
import { createHost, hubOptionsFromEnv, repoRoot, type Host } from '../host/index';
import { utilityEngineSpawner } from './engineChannel';
import { GGUF_FILTERS, isTrustedSenderUrl, navigationDecision, withCsp, type AppLocation } from './security';

const devUrl = !app.isPackaged ? process.env['ELECTRON_RENDERER_URL'] : undefined;
const indexFile = join(__dirname, '../renderer/index.html');
const location: AppLocation = devUrl ? { kind: 'dev', origin: devUrl } : { kind: 'file', indexUrl: pathToFileURL(indexFile).href };

let host: Host | null = null;
let win: BrowserWindow | null = null;

function fromTrustedSender(e: IpcMainEvent | IpcMainInvokeEvent): boolean {
  // senderFrame is null when the frame navigated away or was destroyed before the message was handled.
  return isTrustedSenderUrl(e.senderFrame?.url, location) && e.senderFrame === e.sender.mainFrame;
}

/** Frame listeners of the served windows, by their webContents. */
const framePorts = new Map<WebContents, (frame: unknown) => void>();

function registerIpc(): void {
  ipcMain.on(BridgeChannels.frame, (e, frame: unknown) => {
    const deliver = framePorts.get(e.sender);
    if (!fromTrustedSender(e) || deliver === undefined) {
      const raw = typeof frame === 'object' && frame !== null ? (frame as { id?: unknown }).id : undefined;
      const id = typeof raw === 'number' && Number.isSafeInteger(raw) ? raw : 0;
      const refused: ServerFrame = { kind: 'error', id, error: { code: 'UNAUTHORIZED', message: 'Refused: the request did not come from the Reckon window.' } };
      if (!e.sender.isDestroyed()) e.sender.send(BridgeChannels.frame, refused);
      return;
    }
    deliver(frame);
  });
  ipcMain.handle(BridgeChannels.pickGguf, async (e): Promise<string | null> => {
    if (!fromTrustedSender(e) || !win) return null;
    const r = await dialog.showOpenDialog(win, { title: 'Import a GGUF model', properties: ['openFile'], filters: GGUF_FILTERS });
    return r.canceled ? null : (r.filePaths[0] ?? null);
  });
}

/**
 * Serves the API to one window over IPC: its calls go to the host's router, every turn event goes to it.
 * Each page load gets a port of its own: a reloaded page numbers its calls from 1 again, so replies to the
 * previous page's calls are dropped instead of settling the new page's calls of the same id.
 */
function serveWindow(h: Host, w: BrowserWindow): void {
  const wc = w.webContents;
  let live: object | null = null;
  let stop: (() => void) | null = null;
  const open = (): void => {
    stop?.();
    const page = {};
    live = page;
    stop = h.serve({
      send: (f) => {
        if (live === page && !wc.isDestroyed()) wc.send(BridgeChannels.frame, f);
      },
      onFrame: (cb) => {
        framePorts.set(wc, cb);
      },
      // The window's end is handled below ('destroyed'): the server is told through `stop`.
      onClose: () => undefined,
    });
  };
  open();
  wc.on('did-start-navigation', (details) => {
    if (details.isMainFrame && !details.isSameDocument) open();
  });
  wc.once('destroyed', () => {
    live = null;
    stop?.();
    framePorts.delete(wc);
  });
}

function createWindow(): BrowserWindow {
  const w = new BrowserWindow({
    width: 1240,
    height: 820,
    minWidth: 420,
    minHeight: 480,
    show: false,
    title: 'Reckon',
    // Window/taskbar icon on Linux and Windows (macOS takes the bundle's icon from build/).
    icon: join(app.isPackaged ? process.resourcesPath : repoRoot(), 'resources', 'icon.png'),
    // Matches --bg of the theme the page will pick for 'system', so the window does not flash.
    backgroundColor: nativeTheme.shouldUseDarkColors ? '#17181a' : '#fbfbfa',
    autoHideMenuBar: true,
    webPreferences: {
      preload: join(__dirname, '../preload/index.js'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      webviewTag: false,
      spellcheck: true,
    },
  });
  w.once('ready-to-show', () => w.show());
  w.webContents.on('will-navigate', (e, url) => {
    e.preventDefault();
    const d = navigationDecision(url);
    if (d.action === 'open-external') void shell.openExternal(d.url);
  });
  w.webContents.on('will-redirect', (e) => e.preventDefault());
  w.webContents.setWindowOpenHandler(({ url }) => {
    const d = navigationDecision(url);
    if (d.action === 'open-external') void shell.openExternal(d.url);
    return { action: 'deny' };
  });
  if (devUrl) void w.loadURL(devUrl);
  else void w.loadFile(indexFile);
  return w;
}

async function start(): Promise<void> {
  session.defaultSession.webRequest.onHeadersReceived((details, cb) => cb({ responseHeaders: withCsp(details.responseHeaders) }));
  // The renderer needs no device, notification or media permission.
  session.defaultSession.setPermissionRequestHandler((_wc, _perm, cb) => cb(false));
  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-attach-webview', (ev) => ev.preventDefault());
  });

  const root = app.isPackaged ? process.resourcesPath : repoRoot();
  host = await createHost({
    userDataDir: app.getPath('userData'),
    modelsDir: join(root, 'models'),
    shell: 'electron',
    hub: hubOptionsFromEnv(),
    spawnEngine: utilityEngineSpawner(join(__dirname, 'engine.js')),
    // The OpenAI-compatible API on 127.0.0.1:settings.api.port beside the window, while Settings has it on.
    serveApi: {},
    exclusive: true,
  });
  const h = host;
  registerIpc();
  win = createWindow();
  serveWindow(h, win);
  win.on('closed', () => (win = null));
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) {
      win = createWindow();
      serveWindow(h, win);
    }
  });
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });
  app.whenReady().then(start, (err: unknown) => {
    dialog.showErrorBox('Reckon could not start', err instanceof Error ? err.message : String(err));
    app.quit();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  let closing = false;
  app.on('before-quit', (e) => {
    if (closing || !host) return;
    closing = true;
    e.preventDefault();
    void host.close().finally(() => app.quit());
  });
}
