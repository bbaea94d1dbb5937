/* SFE Cloud service worker, served at the site root by calls/offline.py (scope: the whole site).
   The configuration is rendered here; the logic lives in static/calls/offline/sw-core.js. */
self.SFE_OFFLINE = {{ config }};
importScripts({{ core }});
