import type { App } from '../../src/app.js';

export interface RegisteredRoute {
  method: 'GET' | 'POST';
  /** The route as registered, e.g. /secretary/products/:id/photos/:photoId/delete */
  pattern: string;
}

/**
 * Every GET and POST route the app registers (HEAD routes come with GET), read from its route tree,
 * so a test listing routes can fail when a new one appears without an entry. Each path is checked
 * with hasRoute; the printer shows the static files' wildcard as "/*", which is /static/*.
 */
export function registeredRoutes(app: App): RegisteredRoute[] {
  const found: RegisteredRoute[] = [];
  for (const method of ['GET', 'POST'] as const) {
    const tree = app.printRoutes({ commonPrefix: false, method });
    const stack: string[] = [];
    for (const line of tree.split('\n')) {
      const m = /^([│ ]*)(?:[├└]── )?(\S+)(?: \(([^)]*)\))?$/.exec(line);
      if (!m) continue;
      const depth = m[1]!.length / 4;
      const path = (stack[depth - 1] ?? '') + m[2]!;
      stack[depth] = path;
      stack.length = depth + 1;
      if (!m[3]?.split(', ').includes(method)) continue;
      const pattern = app.hasRoute({ method, url: path }) ? path : path === '/*' && app.hasRoute({ method, url: '/static/*' }) ? '/static/*' : null;
      if (pattern === null) throw new Error(`the route tree shows ${method} ${path}, which the app does not have`);
      found.push({ method, pattern });
    }
  }
  return found;
}
