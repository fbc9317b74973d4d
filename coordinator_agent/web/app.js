// The customer's page: plain DOM, no framework, no build step. Every text that comes from
// the server (CS's words above all) is set with textContent, never parsed as markup.
"use strict";

const STATES = {
  received: "Received: we are reading your case",
  analyzing: "Reading your case",
  awaiting_clarification: "We need a word from you",
  planning: "Preparing the negotiation",
  awaiting_strategy_approval: "Waiting for your approval",
  negotiating: "Negotiating with customer service",
  awaiting_customer_input: "Customer service asked for something only you have",
  awaiting_outcome_approval: "Waiting for your approval",
  resolved: "Resolved",
  monitoring: "Agreed: we are checking that customer service keeps its word",
  awaiting_follow_up_approval: "Waiting for your approval",
  following_up: "Chasing customer service: it has not kept its word",
  fulfilled: "Done: customer service kept its word",
  escalated: "Handed to a person on our team",
  failed: "Could not be resolved",
  cs_unavailable: "Customer service is unavailable; we will retry",
  cancelled: "Cancelled",
  expired: "Expired: we waited too long for an answer",
};
const TERMINAL = new Set(["resolved", "fulfilled", "escalated", "failed", "cancelled", "expired"]);
const AGREED = new Set(["resolved", "monitoring", "awaiting_follow_up_approval", "following_up", "fulfilled"]);
const GOALS = {
  full_refund: "A full refund",
  partial_refund: "A partial refund",
  replacement: "A replacement",
  store_credit: "Store credit",
};
const EVENT_TYPES = [
  "session_created", "state_changed", "agent_call", "cs_exchange", "decision", "message",
  "cancelled", "escalated", "escalation_resolved", "reminder", "expired", "cs_retry_scheduled",
  "cs_retry", "cancel_requested", "cancel_too_late", "cs_contact_closed", "cs_contact_not_closed",
  "cs_chat_reopened", "promise_kept", "promise_broken", "promise_check_failed", "follow_up",
  "follow_up_proposed", "follow_up_unavailable", "fulfilled", "dispute_packet", "photos_added",
];
const MAX_PHOTOS = 5;
const MAX_PHOTO_BYTES = 5 * 1024 * 1024;

let csrf = null;
let me;  // undefined until the first look; then the account, or null when signed out
let stream = null;
let refreshTimer = null;
let pending = null;  // a message for the next view

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function flash(message, ok) {
  const box = $("flash");
  box.textContent = message || "";
  box.className = ok ? "ok" : "";
  box.hidden = !message;
}

async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (csrf && method !== "GET") headers["X-CSRF-Token"] = csrf;
  const response = await fetch(path, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try { data = await response.json(); } catch (_) { data = null; }
  if (!response.ok) {
    let detail = data && data.detail;
    if (Array.isArray(detail)) detail = detail.map((d) => d.msg).join("; ");
    const error = new Error(detail || `The server answered ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return data;
}

function describeOffer(offer) {
  if (!offer || !offer.type || offer.type === "none") return "nothing";
  let words = (GOALS[offer.type] || offer.type.replace(/_/g, " ")).toLowerCase();
  if (offer.amount !== null && offer.amount !== undefined) {
    words = `${Number(offer.amount).toFixed(2)} ${offer.currency || "USD"} ${words}`;
  }
  if (offer.return_required) words += ", the item to be returned";
  if (offer.days_to_complete) words += `, within ${offer.days_to_complete} days`;
  return words;
}

async function fileBase64(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

// The photos picked in a file field, as the API takes them; the server checks them again
// (by their bytes, not their names) and removes their metadata.
async function photosOf(input, already) {
  const files = Array.from(input.files || []);
  if (files.length + (already || 0) > MAX_PHOTOS) {
    throw new Error(`A case takes at most ${MAX_PHOTOS} photos.`);
  }
  for (const file of files) {
    if (file.size > MAX_PHOTO_BYTES) throw new Error(`${file.name} is larger than 5 MB.`);
  }
  return Promise.all(files.map(async (file) => ({ filename: file.name, data: await fileBase64(file) })));
}

function show(view) {
  // One view in the document at a time: every label names one control.
  const fresh = $(`tpl-${view}`).content.cloneNode(true);
  $("view").replaceChildren(fresh);
  $("nav").hidden = !me;
  BINDINGS[view]();
}

async function loadMe() {
  try {
    me = await api("GET", "/v1/accounts/me");
    csrf = me.csrf_token;
    $("who").textContent = me.name || me.email;
  } catch (error) {
    me = null; csrf = null;
  }
}

async function route() {
  if (stream) { stream.close(); stream = null; }
  flash(pending, Boolean(pending));
  pending = null;
  const hash = location.hash || "#/";
  if (me === undefined) await loadMe();
  if (!me) {
    show(hash === "#/sign-up" ? "view-sign-up" : "view-sign-in");
    return;
  }
  const match = hash.match(/^#\/cases\/([0-9a-f]{1,64})$/);
  if (match) return openCase(match[1]);
  show("view-home");
  await renderHome();
}

async function renderHome() {
  const links = $("links");
  links.replaceChildren(...me.links.map((id) => el("li", {}, `Retailer customer ${id}`)));
  if (!me.links.length) links.append(el("li", {}, "None yet: link one to start a case."));
  $("new-case-panel").hidden = !me.links.length;
  const select = $("nc-order");
  select.replaceChildren(el("option", { value: "" }, "Let us find it"));
  if (me.links.length) {
    try {
      const { orders } = await api("GET", "/v1/accounts/me/orders");
      for (const order of orders) {
        const items = (order.items || []).join(", ");
        select.append(el("option", { value: order.order_id, "data-customer": order.customer_id },
          `${order.order_id}: ${items} (${order.order_date || ""})`));
      }
    } catch (error) { /* the picker is optional */ }
  }
  const { sessions } = await api("GET", "/v1/sessions");
  const list = $("cases");
  list.replaceChildren(...sessions.map((s) => el("li", {},
    el("a", { href: `#/cases/${s.session_id}` }, s.message || s.session_id),
    ` · ${STATES[s.state] || s.state} · ${new Date(s.created_at).toLocaleString()}`)));
  if (!sessions.length) list.append(el("li", {}, "No cases yet."));
}

async function openCase(id) {
  show("view-case");
  $("view-case").dataset.session = id;
  await refreshCase();
  stream = new EventSource(`/v1/sessions/${id}/events`);
  const later = () => {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refreshCase, 150);
  };
  for (const type of EVENT_TYPES) stream.addEventListener(type, later);
  stream.addEventListener("end", () => { stream.close(); stream = null; later(); });
}

async function refreshCase() {
  const view = $("view-case");
  const id = view && view.dataset.session;
  if (!id) return;
  let doc, events;
  try {
    doc = await api("GET", `/v1/sessions/${id}`);
    events = (await api("GET", `/v1/sessions/${id}/events`)).events;
  } catch (error) { flash(error.message); return; }
  $("case-state").textContent = STATES[doc.state] || doc.state;
  $("case-reason").textContent = doc.reason && doc.state !== "resolved" ? doc.reason : "";
  $("cancel-case").hidden = TERMINAL.has(doc.state);
  renderConversation(events);
  renderCards(doc, events);
  renderEvidence(doc);
}

function renderEvidence(doc) {
  const photos = doc.photos || [];
  const list = $("photo-list");
  list.replaceChildren(...photos.map((p) => el("li", {},
    `Photo ${p.seq}: ${p.content_type === "image/png" ? "PNG" : "JPEG"}, ${p.width} × ${p.height}, ${Math.ceil(p.size / 1024)} kB`)));
  if (!photos.length) list.append(el("li", {}, "No photos yet."));
  $("photo-form").hidden = TERMINAL.has(doc.state) || photos.length >= MAX_PHOTOS;
  $("view-case").dataset.photos = String(photos.length);
}

function renderConversation(events) {
  const items = [];
  for (const event of events) {
    const detail = event.detail || {};
    if (event.type === "cs_exchange") {
      if (detail.sent) {
        const shown = detail.attachments ? ` (with ${detail.attachments} photo${detail.attachments > 1 ? "s" : ""})` : "";
        items.push(el("li", { class: "ours" }, el("span", { class: "who" }, `We said${shown}`), detail.sent));
      }
      if (detail.cs_text) items.push(el("li", { class: "cs" }, el("span", { class: "who" }, "Customer service said"), detail.cs_text));
    } else if (event.type === "photos_added") {
      items.push(el("li", { class: "customer" }, el("span", { class: "who" }, "You added"),
        `${detail.count} photo${detail.count > 1 ? "s" : ""}`));
    } else if (event.type === "message" && detail.text) {
      items.push(el("li", { class: "customer" }, el("span", { class: "who" }, "You said"), detail.text));
    }
  }
  if (!items.length) items.push(el("li", {}, "Nothing said to customer service yet."));
  $("conversation").replaceChildren(...items);
}

function renderCards(doc, events) {
  const key = cardsKey(doc, events);
  if ($("case-cards").dataset.key === key) return;
  const cards = [];
  if (doc.awaiting === "clarification" || doc.awaiting === "customer_input") cards.push(questionCard(doc));
  if (doc.awaiting === "strategy") cards.push(approvalCard(doc, "strategy"));
  if (doc.awaiting === "outcome") cards.push(approvalCard(doc, "outcome"));
  if (doc.awaiting === "follow_up") cards.push(approvalCard(doc, "follow_up"));
  if (doc.follow_through) cards.push(promisesCard(doc.follow_through, doc.state));
  if (TERMINAL.has(doc.state)) cards.push(resultCard(doc, events), ratingCard(doc));
  else if (AGREED.has(doc.state)) cards.push(resultCard(doc, events));
  const box = $("case-cards");
  const hadFocus = box.contains(document.activeElement);
  box.replaceChildren(...cards);
  box.dataset.key = key;
  // A keyboard user whose card was replaced lands on the new one, not at the top of the page.
  const heading = hadFocus && box.querySelector("h3");
  if (heading) { heading.tabIndex = -1; heading.focus(); }
}

// What the cards show. A live update that changes none of it leaves them as they are, so
// the control in focus, an opened form and half-typed words survive it.
function cardsKey(doc, events) {
  const settled = AGREED.has(doc.state) || TERMINAL.has(doc.state);
  const said = events.filter((e) => e.type === "cs_exchange" && e.detail && e.detail.cs_text).length;
  return JSON.stringify([doc.state, doc.awaiting, doc.question, doc.choices, doc.photos_wanted,
    doc.strategy, doc.proposal, doc.follow_through, doc.rating,
    settled ? [doc.outcome, doc.policies, doc.negotiation, doc.updated_at, said] : null]);
}

function questionCard(doc) {
  const card = el("div", { class: "card" }, el("h3", {}, "We need a word from you"),
    el("p", {}, doc.question || "Please tell us more."));
  if (doc.photos_wanted) {
    card.append(el("p", {}, "Add them under \u201cYour photos\u201d below: we send them to " +
      "customer service and carry on."));
  }
  const choices = el("div", { class: "row" });
  for (const choice of doc.choices || []) {
    choices.append(el("button", { type: "button", onclick: () => act("messages", { choice: choice.id }) }, choice.label));
  }
  card.append(choices);
  const form = el("form", {},
    el("label", { for: "answer-text" }, "Your answer"),
    el("textarea", { id: "answer-text", rows: "2", maxlength: "4000", required: "" }),
    el("button", { type: "submit" }, "Send"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    act("messages", { text: $("answer-text").value });
  });
  card.append(form);
  return card;
}

function policyBasis(ids) {
  return ids && ids.length ? `Based on the retailer's policies ${ids.join(", ")}.` : null;
}

function approvalCard(doc, what) {
  const card = el("div", { class: "card" });
  if (what === "strategy") {
    const strategy = doc.strategy || {};
    card.append(el("h3", {}, "Our plan"),
      el("p", {}, strategy.summary || ""),
      el("p", {}, `We will ask for ${describeOffer(strategy.opening_ask)}.`));
    const floor = strategy.floor || {};
    if (floor.amount !== null && floor.amount !== undefined) {
      card.append(el("p", {}, `We will not accept less than ${Number(floor.amount).toFixed(2)}.`));
    }
    card.append(el("p", {}, policyBasis((strategy.arguments || []).map((a) => a.policy_id))));
  } else if (what === "follow_up") {
    card.append(el("h3", {}, "Customer service has not kept its word"),
      el("p", {}, doc.question || "Shall we contact customer service again?"));
  } else {
    const proposal = doc.proposal || {};
    card.append(el("h3", {}, "Customer service offers"),
      el("p", {}, `${describeOffer(proposal.offer)}.`),
      el("p", {}, proposal.reason || ""),
      el("p", {}, policyBasis(proposal.policy_basis)));
  }
  const reject = el("form", { hidden: "" },
    el("label", { for: "new-goal" }, "What would you accept instead?"),
    el("select", { id: "new-goal" }, el("option", { value: "" }, "Keep the same goal"),
      ...Object.entries(GOALS).map(([value, label]) => el("option", { value }, label))),
    el("label", { for: "floor-amount" }, "Minimum amount (optional)"),
    el("input", { id: "floor-amount", type: "number", min: "0", step: "0.01", inputmode: "decimal" }),
    el("button", { type: "submit" }, "Send my answer"));
  reject.addEventListener("submit", (e) => {
    e.preventDefault();
    const body = { decision: "reject" };
    if ($("new-goal").value) body.new_goal = $("new-goal").value;
    if ($("floor-amount").value) body.floor_amount = Number($("floor-amount").value);
    act("decisions", body);
  });
  card.append(el("div", { class: "row" },
    el("button", { type: "button", onclick: () => act("decisions", { decision: "approve" }) }, "Approve"),
    el("button", { type: "button", class: "secondary", onclick: () => { reject.hidden = false; $("new-goal").focus(); } }, "Reject")),
  reject);
  if (what !== "follow_up") card.append(changeOfMind());
  return card;
}

// Changed your mind (e.g. you would rather have a replacement)? Say so in words: the case is
// read again and a new plan is made; an open conversation with customer service is closed.
function changeOfMind() {
  const form = el("form", { class: "change" },
    el("label", { for: "change-text" }, "Changed your mind? Tell us what you want instead"),
    el("textarea", { id: "change-text", rows: "2", maxlength: "4000", required: "" }),
    el("button", { type: "submit", class: "secondary" }, "Change my request"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    act("messages", { text: $("change-text").value });
  });
  return form;
}

function resultCard(doc, events) {
  const final = doc.outcome || doc.proposal || {};
  const card = el("div", { class: "card" }, el("h3", {}, `Result: ${STATES[doc.state] || doc.state}`));
  const exchanges = events.filter((e) => e.type === "cs_exchange" && e.detail && e.detail.cs_text);
  if (AGREED.has(doc.state)) {
    card.append(el("p", {}, `Customer service granted ${describeOffer(final.offer)}. In their words:`));
    const last = exchanges.length ? exchanges[exchanges.length - 1].detail.cs_text : "";
    card.append(el("blockquote", {}, last));
  }
  const entitlement = (doc.policies || {}).entitlement || {};
  if (entitlement.best) {
    card.append(el("p", {}, `The retailer's policies entitled you to ${describeOffer(entitlement.best)}.`));
  }
  const started = Date.parse(doc.created_at), ended = Date.parse(doc.updated_at);
  if (started && ended) {
    const minutes = Math.max(0, (ended - started) / 60000);
    card.append(el("p", {}, `It took ${minutes < 1 ? "less than a minute" : `${Math.round(minutes)} minutes`}.`));
  }
  const count = (doc.negotiation || {}).cs_exchanges || 0;
  card.append(el("p", {}, `${count} exchange${count === 1 ? "" : "s"} with customer service.`));
  return card;
}

function promisesCard(follow, state) {
  const card = el("div", { class: "card" }, el("h3", {}, "What customer service promised"));
  const list = el("ul", {});
  for (const promise of follow.promises || []) list.append(el("li", {}, `${promise.text}: ${promise.status}`));
  card.append(list);
  if (follow.next_check_at && !TERMINAL.has(state)) card.append(el("p", {}, `Next check of the order: ${follow.next_check_at.slice(0, 16).replace("T", " ")} UTC.`));
  if (follow.dispute_packet) {
    card.append(el("p", {}, "Customer service did not put it right. A dispute packet for your card issuer is ready: ",
      el("a", { href: `${follow.dispute_packet}?format=pdf` }, "Download the dispute packet (PDF)"), " ",
      el("a", { href: `${follow.dispute_packet}?format=md` }, "(Markdown)")));
  }
  return card;
}

function ratingCard(doc) {
  const card = el("div", { class: "card" }, el("h3", {}, "How did we do?"));
  if (doc.rating) {
    card.append(el("p", {}, `You rated this case ${doc.rating.score} out of 5. Thank you.`));
    return card;
  }
  const form = el("form", {},
    el("label", { for: "rating-score" }, "Your rating"),
    el("select", { id: "rating-score" }, ...[5, 4, 3, 2, 1].map((n) => el("option", { value: String(n) }, `${n} out of 5`))),
    el("label", { for: "rating-comment" }, "Comment (optional)"),
    el("textarea", { id: "rating-comment", rows: "2", maxlength: "4000" }),
    el("button", { type: "submit" }, "Rate"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const body = { score: Number($("rating-score").value) };
    if ($("rating-comment").value.trim()) body.comment = $("rating-comment").value.trim();
    act("rating", body);
  });
  card.append(form);
  return card;
}

async function act(action, body) {
  const view = $("view-case");
  if (!view) return;
  const id = view.dataset.session;
  try {
    await api("POST", `/v1/sessions/${id}/${action}`, body);
    flash("");
  } catch (error) { flash(error.message); }
  await refreshCase();
}

function formData(form) {
  return Object.fromEntries(new FormData(form).entries());
}

async function signIn(email, password) {
  const answer = await api("POST", "/v1/auth/login", { email, password });
  csrf = answer.csrf_token;
  await loadMe();
}

const BINDINGS = {
  "view-sign-in": () => {
    $("sign-in-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        await signIn($("si-email").value, $("si-password").value);
        if (location.hash === "#/") await route(); else location.hash = "#/";
      } catch (error) { flash(error.message); }
    });
  },
  "view-sign-up": () => {
    $("sign-up-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const body = { email: $("su-email").value, password: $("su-password").value };
      if ($("su-name").value.trim()) body.name = $("su-name").value.trim();
      try {
        await api("POST", "/v1/accounts", body);
        await signIn(body.email, body.password);
        pending = "Welcome! Link your retailer account to start a case.";
        if (location.hash === "#/") await route(); else location.hash = "#/";
      } catch (error) { flash(error.message); }
    });
  },
  "view-home": () => {
    $("link-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        const linked = await api("POST", "/v1/accounts/me/links", formData(e.target));
        e.target.reset();
        await loadMe();
        await renderHome();
        flash(`Linked retailer customer ${linked.customer_id}.`, true);
      } catch (error) { flash(error.message); }
    });
    $("new-case-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const body = { message: $("nc-message").value };
      if ($("nc-order").value) body.order_id = $("nc-order").value;
      if (me.links.length > 1) {  // several retailer accounts: the picked order's, else the first
        const picked = $("nc-order").selectedOptions[0];
        body.customer_id = (picked && picked.dataset.customer) || me.links[0];
      }
      try {
        const photos = await photosOf($("nc-photos"), 0);
        if (photos.length) body.photos = photos;
        const created = await api("POST", "/v1/sessions", body);
        location.hash = `#/cases/${created.session_id}`;
      } catch (error) { flash(error.message); }
    });
  },
  "view-case": () => {
    $("cancel-case").addEventListener("click", () => act("cancel"));
    $("photo-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        const photos = await photosOf($("add-photos"), Number($("view-case").dataset.photos || 0));
        if (!photos.length) return;
        await act("photos", { photos });
        e.target.reset();
      } catch (error) { flash(error.message); }
    });
  },
};

document.addEventListener("DOMContentLoaded", () => {
  $("sign-out").addEventListener("click", async () => {
    try { await api("POST", "/v1/auth/logout"); } catch (_) { /* signed out anyway */ }
    me = null; csrf = null;
    if (location.hash === "#/sign-in") await route(); else location.hash = "#/sign-in";
  });
  window.addEventListener("hashchange", route);
  route();
});
