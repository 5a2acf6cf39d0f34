// The chat page's script, served as /web/app.js (same origin; the CSP forbids inline script).
// Plain browser JavaScript with no build step. Rules it keeps: every text from the gateway is
// inserted with textContent (model output is hostile); the token lives in sessionStorage and
// only ever goes into an Authorization header to this origin. Kept free of backticks and
// dollar-brace so it can sit in this String.raw literal unchanged.
export const PAGE_SCRIPT = String.raw`(function () {
  'use strict';
  var TOKEN_KEY = 'securesphere.token';
  var CONVERSATION_KEY = 'securesphere.conversation';
  var LABELS = { approve: 'Approve', deny: 'Deny', allow_conversation: 'Allow for this conversation' };
  var OUTCOME_WORDS = { approved: 'Approved', denied: 'Denied', expired: 'Expired' };
  var state = { token: sessionStorage.getItem(TOKEN_KEY), conversation: '', lastSeq: 0, generation: 0, controller: null, retryMs: 1000 };

  function el(id) { return document.getElementById(id); }

  function make(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function randomId(prefix) {
    var bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return prefix + Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }

  function setStatus(text) { var s = el('status'); s.textContent = text; s.dataset.state = text; }

  function showError(text) { var e = el('error'); e.textContent = text || ''; e.hidden = !text; }

  function showLogin(message) {
    el('login').hidden = false;
    el('chat').hidden = true;
    el('new-conversation').hidden = true;
    el('forget-token').hidden = true;
    var e = el('login-error');
    e.textContent = message || '';
    e.hidden = !message;
    setStatus('offline');
    el('token').focus();
  }

  function forgetToken(message) {
    state.generation++;
    if (state.controller) state.controller.abort();
    state.token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    showLogin(message);
  }

  function api(path, body) {
    return fetch(path, {
      method: 'POST',
      headers: { 'authorization': 'Bearer ' + state.token, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      cache: 'no-store'
    }).then(function (res) {
      if (res.status === 401) { forgetToken('The token was not accepted.'); throw new Error('The token was not accepted.'); }
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (!res.ok) throw new Error((data && data.error && data.error.message) || ('HTTP ' + res.status));
        return data;
      });
    });
  }

  function findMessage(id) {
    var nodes = el('messages').children;
    for (var i = 0; i < nodes.length; i++) if (nodes[i].dataset.id === id) return nodes[i];
    return null;
  }

  function renderApproval(card, approval) {
    card.classList.add('approval');
    card.dataset.approvalId = approval.approval_id;
    card.appendChild(make('h3', '', approval.summary));
    card.appendChild(make('pre', 'detail', approval.detail));
    if (typeof approval.full_detail === 'string') {
      // Everything the short detail left out, one click away before deciding.
      var full = make('details', 'full-detail');
      full.appendChild(make('summary', '', 'Show the full request'));
      full.appendChild(make('pre', 'detail', approval.full_detail));
      card.appendChild(full);
    }
    var level = make('p', 'level-' + approval.security_level, 'Security level: ' + approval.security_level);
    card.appendChild(level);
    if (approval.outcome) {
      var word = OUTCOME_WORDS[approval.outcome.status] || approval.outcome.status;
      var by = approval.outcome.by ? ' by ' + approval.outcome.by : '';
      card.appendChild(make('p', 'outcome ' + approval.outcome.status, word + by + ' at ' + new Date(approval.outcome.at).toLocaleString()));
      return;
    }
    card.appendChild(make('p', 'meta', 'Expires ' + new Date(approval.expires_at).toLocaleString()));
    var actions = make('div', 'actions');
    approval.options.forEach(function (option) {
      if (!Object.prototype.hasOwnProperty.call(LABELS, option)) return;
      var button = make('button', option === 'deny' ? 'deny' : 'approve', LABELS[option]);
      button.type = 'button';
      button.dataset.decision = option;
      button.addEventListener('click', function () { decide(approval.approval_id, option, actions); });
      actions.appendChild(button);
    });
    card.appendChild(actions);
  }

  function render(event) {
    if (event.seq <= state.lastSeq) return;
    state.lastSeq = event.seq;
    var item = make('li', 'msg ' + (event.from === 'user' ? 'user' : 'bot') + (event.streaming ? ' streaming' : ''));
    // A replacement keeps the id it replaces, even when the original was never seen (replay).
    item.dataset.id = event.replaces || event.id;
    item.dataset.seq = String(event.seq);
    var who = event.from === 'user' ? (event.sender_name || 'You') : 'SecureSphere';
    item.appendChild(make('div', 'meta', who + ' · ' + new Date(event.time).toLocaleTimeString()));
    if (event.approval) renderApproval(item, event.approval);
    else item.appendChild(make('div', 'text', event.text));
    var old = event.replaces ? findMessage(event.replaces) : null;
    if (old) { item.dataset.id = event.replaces; old.replaceWith(item); }
    else el('messages').appendChild(item);
    el('thinking').hidden = event.from !== 'user';
    el('messages').scrollTop = el('messages').scrollHeight;
  }

  function handleBlock(block) {
    var name = 'message';
    var data = [];
    block.split('\n').forEach(function (line) {
      if (line.indexOf('event:') === 0) name = line.slice(6).trim();
      else if (line.indexOf('data:') === 0) data.push(line.slice(5).replace(/^ /, ''));
    });
    if (name !== 'message' || data.length === 0) return;
    try { render(JSON.parse(data.join('\n'))); } catch (err) { console.warn('bad event', err); }
  }

  function sleep(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  async function stream() {
    var generation = ++state.generation;
    while (generation === state.generation && state.token) {
      var controller = new AbortController();
      state.controller = controller;
      try {
        var url = '/api/web/events?conversation_id=' + encodeURIComponent(state.conversation) + '&after=' + state.lastSeq;
        var res = await fetch(url, { headers: { 'authorization': 'Bearer ' + state.token, 'accept': 'text/event-stream' }, signal: controller.signal, cache: 'no-store' });
        if (res.status === 401) { forgetToken('The token was not accepted.'); return; }
        if (!res.ok || !res.body) throw new Error('HTTP ' + res.status);
        setStatus('online');
        state.retryMs = 1000;
        var reader = res.body.getReader();
        var decoder = new TextDecoder();
        var buffer = '';
        for (;;) {
          var chunk = await reader.read();
          if (chunk.done) break;
          buffer += decoder.decode(chunk.value, { stream: true }).replace(/\r\n?/g, '\n');
          var cut;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            handleBlock(buffer.slice(0, cut));
            buffer = buffer.slice(cut + 2);
          }
        }
      } catch (err) {
        if (controller.signal.aborted) return;
      }
      if (generation !== state.generation) return;
      setStatus('reconnecting');
      await sleep(state.retryMs);
      state.retryMs = Math.min(state.retryMs * 2, 15000);
    }
  }

  function decide(approvalId, decision, actions) {
    var buttons = actions.querySelectorAll('button');
    buttons.forEach(function (b) { b.disabled = true; });
    showError('');
    api('/api/web/approvals', { approval_id: approvalId, decision: decision }).then(function () {
      actions.appendChild(make('span', 'meta', 'Decision sent.'));
    }).catch(function (err) {
      showError(err.message);
      buttons.forEach(function (b) { b.disabled = false; });
    });
  }

  function send(text) {
    var button = el('send');
    button.disabled = true;
    showError('');
    return api('/api/web/messages', { conversation_id: state.conversation, text: text, client_message_id: randomId('wc_') })
      .then(function () { el('input').value = ''; })
      .catch(function (err) { showError(err.message); el('thinking').hidden = true; })
      .then(function () { button.disabled = false; el('input').focus(); });
  }

  function openConversation(id) {
    state.conversation = id;
    sessionStorage.setItem(CONVERSATION_KEY, id);
    state.lastSeq = 0;
    el('messages').replaceChildren();
    el('thinking').hidden = true;
    if (state.controller) state.controller.abort();
    stream();
  }

  function showChat() {
    el('login').hidden = true;
    el('chat').hidden = false;
    el('new-conversation').hidden = false;
    el('forget-token').hidden = false;
    openConversation(sessionStorage.getItem(CONVERSATION_KEY) || randomId('web-'));
    el('input').focus();
  }

  el('login-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var value = el('token').value.trim();
    if (!value) return;
    state.token = value;
    sessionStorage.setItem(TOKEN_KEY, value);
    el('token').value = '';
    showChat();
  });
  el('send-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var text = el('input').value;
    if (text.trim()) send(text);
  });
  el('input').addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); el('send-form').requestSubmit(); }
  });
  el('new-conversation').addEventListener('click', function () { openConversation(randomId('web-')); });
  el('forget-token').addEventListener('click', function () { forgetToken(''); });

  if (state.token) showChat(); else showLogin('');
})();
`;
