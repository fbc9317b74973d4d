// The ops console: the escalation queue with each case's dossier, and resolve. The ops token
// stays in this page's memory only; every text from a case is set with textContent.
"use strict";

let token = null;
const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function flash(message) {
  $("flash").textContent = message || "";
  $("flash").hidden = !message;
}

async function call(method, path, body) {
  const headers = { Authorization: `Bearer ${token}`, Accept: "application/json" };
  if (body) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new Error((data && typeof data.detail === "string" && data.detail) || `The server answered ${response.status}`);
  return data;
}

function dossier(escalation) {
  const context = escalation.context || {};
  const parts = [el("p", {}, `Case ${escalation.session_id} · ${escalation.reason_code} · opened ${escalation.created_at}`)];
  if (context.reason) parts.push(el("p", {}, context.reason));
  parts.push(el("details", {}, el("summary", {}, "Dossier"), el("pre", {}, JSON.stringify(context, null, 2))));
  return parts;
}

function resolveForm(escalation, index) {
  const form = el("form", {},
    el("label", { for: `note-${index}` }, "Note"),
    el("textarea", { id: `note-${index}`, rows: "2", required: "", maxlength: "4000" }),
    el("label", { for: `outcome-${index}` }, "The case ends"),
    el("select", { id: `outcome-${index}` }, el("option", { value: "resolved" }, "Resolved"), el("option", { value: "failed" }, "Failed")),
    el("button", { type: "submit" }, "Resolve"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await call("POST", `/v1/ops/escalations/${encodeURIComponent(escalation.id)}/resolve`,
        { note: $(`note-${index}`).value, state: $(`outcome-${index}`).value });
      flash("");
      await load();
    } catch (error) { flash(error.message); }
  });
  return form;
}

async function load() {
  const { escalations } = await call("GET", `/v1/ops/escalations?status=${$("ops-status").value}`);
  const list = $("escalations");
  list.replaceChildren(...escalations.map((escalation, index) => {
    const item = el("li", { class: "card" }, el("h3", {}, `${escalation.reason_code} (${escalation.status})`), ...dossier(escalation));
    if (escalation.status === "open") item.append(resolveForm(escalation, index));
    else item.append(el("p", {}, `Resolved: ${(escalation.resolution || {}).note || ""}`));
    return item;
  }));
  if (!escalations.length) list.append(el("li", {}, "Nothing in the queue."));
}

document.addEventListener("DOMContentLoaded", () => {
  $("ops-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    token = $("ops-token").value;
    try {
      await load();
      $("ops-sign-in").hidden = true;
      $("ops-queue").hidden = false;
      flash("");
    } catch (error) { token = null; flash(error.message); }
  });
  $("ops-status").addEventListener("change", () => load().catch((error) => flash(error.message)));
});
