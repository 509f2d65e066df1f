// Preact with htm: JSX-like templates without a build step.
import { h } from 'preact';
import htm from 'htm';

// Pure: a module that only imports it for its types of templates costs nothing unused.
export const html = /* @__PURE__ */ htm.bind(h);
