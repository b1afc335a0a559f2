// Bootstraps GraphiQL for the playground page. The configuration comes from
// the JSON block #pg-config written by the Go handler; no inline script is
// needed, so the page's Content-Security-Policy can stay at script-src 'self'.
(function () {
  'use strict';

  var mount = document.getElementById('graphiql');
  var cfg;
  try {
    cfg = JSON.parse(document.getElementById('pg-config').textContent);
  } catch (e) {
    mount.textContent = 'Playground configuration is unreadable: ' + e;
    return;
  }
  if (!window.React || !window.ReactDOM || !window.GraphiQL) {
    mount.textContent = 'GraphiQL failed to load.';
    return;
  }

  var input = document.getElementById('pg-api-key');
  var clearButton = document.getElementById('pg-api-key-clear');

  function loadKey() {
    try {
      return window.localStorage.getItem(cfg.apiKeyStorageKey);
    } catch (e) {
      return null; // storage disabled
    }
  }

  function saveKey(value) {
    try {
      window.localStorage.setItem(cfg.apiKeyStorageKey, value);
    } catch (e) {
      // storage disabled or full: the key still works for this page
    }
  }

  // Priority: ?key= in the URL, then the key saved in this browser, then the
  // server's default. The parameter is removed from the address bar once
  // read so the key does not linger in history or get copied along.
  function initialKey() {
    var params = new URLSearchParams(window.location.search);
    if (params.has('key')) {
      var fromURL = params.get('key') || '';
      saveKey(fromURL);
      params.delete('key');
      var rest = params.toString();
      try {
        window.history.replaceState(window.history.state, '',
          window.location.pathname + (rest ? '?' + rest : '') + window.location.hash);
      } catch (e) {
        // ignore
      }
      return fromURL;
    }
    var stored = loadKey();
    return stored !== null ? stored : (cfg.defaultApiKey || '');
  }

  function currentKey() {
    return input.value.trim();
  }

  // Headers of every request: JSON, the bearer token from the key field, then
  // whatever the GraphiQL header editor holds (it wins, case-insensitively,
  // so an explicit Authorization there overrides the field).
  function requestHeaders(editorHeaders) {
    var headers = {
      'Content-Type': 'application/json',
      'Accept': 'application/graphql-response+json, application/json'
    };
    var key = currentKey();
    if (key) {
      headers.Authorization = 'Bearer ' + key;
    }
    if (editorHeaders && typeof editorHeaders === 'object') {
      Object.keys(editorHeaders).forEach(function (name) {
        var value = editorHeaders[name];
        if (value === undefined || value === null) {
          return;
        }
        Object.keys(headers).forEach(function (existing) {
          if (existing.toLowerCase() === name.toLowerCase()) {
            delete headers[existing];
          }
        });
        headers[name] = String(value);
      });
    }
    return headers;
  }

  function fetcher(graphQLParams, opts) {
    return window.fetch(cfg.endpoint, {
      method: 'POST',
      headers: requestHeaders(opts && opts.headers),
      body: JSON.stringify(graphQLParams),
      credentials: 'same-origin'
    }).then(function (response) {
      return response.text().then(function (text) {
        try {
          return JSON.parse(text);
        } catch (e) {
          return {
            errors: [{
              message: 'HTTP ' + response.status +
                (response.statusText ? ' ' + response.statusText : '') +
                ': the response is not JSON',
              extensions: { body: text.slice(0, 2000) }
            }]
          };
        }
      });
    });
  }

  // Subscriptions run over graphql-transport-ws with GraphiQL's own
  // graphql-ws client (bundled in graphiql.min.js), on the endpoint's URL
  // with ws(s): the key goes in the connection parameters, since browsers
  // cannot set headers on a WebSocket.
  function websocketURL() {
    var u = new URL(cfg.endpoint, window.location.href);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    return u.toString();
  }

  function isSubscription(params) {
    var doc = String(params.query || '').replace(/#[^\n]*/g, '');
    if (params.operationName) {
      return new RegExp('\\bsubscription\\s+' + params.operationName + '\\b').test(doc);
    }
    return /^\s*subscription\b/.test(doc);
  }

  var wsFetcher = null;
  var wsFetcherKey = null;
  function subscriptionFetcher() {
    var key = currentKey();
    if (!wsFetcher || wsFetcherKey !== key) {
      var params = {};
      if (key) {
        params.Authorization = 'Bearer ' + key;
      }
      wsFetcher = window.GraphiQL.createFetcher({
        url: cfg.endpoint,
        subscriptionUrl: websocketURL(),
        wsConnectionParams: params
      });
      wsFetcherKey = key;
    }
    return wsFetcher;
  }

  var storage = window.GraphiQL.createLocalStorage({ namespace: cfg.storageNamespace });
  var root = window.ReactDOM.createRoot(mount);

  // GraphiQL 3 takes the first tab's query from defaultTabs but not its
  // variables, so on a first visit (no saved tabs yet) they are passed
  // explicitly. Later visits restore the saved tabs and editors instead.
  var firstVisit = storage.getItem('graphiql:tabState') === null;

  var props = {
    defaultTabs: cfg.tabs,
    storage: storage,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: false,
    defaultEditorToolsVisibility: 'variables'
  };
  if (firstVisit && cfg.tabs.length > 0) {
    props.variables = cfg.tabs[0].variables;
  }

  // A new fetcher identity makes GraphiQL fetch the schema again, which is
  // what we want after the key changed (the old key may not have been
  // allowed to introspect).
  function render() {
    props.fetcher = function (params, opts) {
      if (isSubscription(params)) {
        return subscriptionFetcher()(params, opts);
      }
      return fetcher(params, opts);
    };
    root.render(window.React.createElement(window.GraphiQL, Object.assign({}, props)));
  }

  var renderedKey = null;
  function keyCommitted() {
    var key = currentKey();
    saveKey(key);
    if (key !== renderedKey) {
      renderedKey = key;
      render();
    }
  }

  input.value = initialKey();
  input.addEventListener('input', function () { saveKey(currentKey()); });
  input.addEventListener('change', keyCommitted);
  input.addEventListener('keydown', function (event) {
    if (event.key === 'Enter') {
      keyCommitted();
    }
  });
  clearButton.addEventListener('click', function () {
    input.value = '';
    keyCommitted();
    input.focus();
  });

  renderedKey = currentKey();
  render();
}());
