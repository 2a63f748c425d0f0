--- The server's `$/progress` (indexing, replies, evolution) for the statusline and the
--- command line. It listens to `LspProgress`, the event Neovim's own `$/progress` handler
--- fires after storing the report in `client.progress` — where fidget.nvim reads it — so
--- it never replaces that handler and works beside any progress plugin.

local M = {}

--- Running work by client and token: `{ title, message, percentage, seq, client_id }`.
M.active = {}
local seq = 0

--- Progress UIs that show LSP progress themselves; echoing as well would say it twice.
M.ui_plugins = { "fidget", "noice" }

local function has_progress_ui()
  for _, name in ipairs(M.ui_plugins) do
    if package.loaded[name] ~= nil then
      return true
    end
  end
  return false
end

local function should_echo(mode)
  if mode == "echo" then
    return true
  end
  return mode == true and not has_progress_ui()
end

--- `Receiving reply… · model (40%)`.
function M.describe(p)
  local text = p.title or ""
  if p.message and p.message ~= "" then
    text = text ~= "" and (text .. " · " .. p.message) or p.message
  end
  if type(p.percentage) == "number" then
    text = ("%s (%d%%)"):format(text, p.percentage)
  end
  return text
end

--- The newest running work, described, or nil.
function M.current()
  local newest
  for _, p in pairs(M.active) do
    if not newest or p.seq > newest.seq then
      newest = p
    end
  end
  return newest and M.describe(newest) or nil
end

local function text_of(value)
  if type(value) ~= "string" or value == "" then
    return nil
  end
  return value
end

local function echo(text, keep)
  -- One line that fits: a longer one would ask "Press ENTER".
  local room = math.max(10, vim.v.echospace - 1)
  if vim.fn.strdisplaywidth(text) > room then
    text = vim.fn.strcharpart(text, 0, room - 1) .. "…"
  end
  vim.api.nvim_echo({ { text } }, keep, {})
end

--- The `LspProgress` callback; `mode` is the `progress` option.
function M.on_progress(ev, mode)
  local data = ev.data or {}
  local client = vim.lsp.get_client_by_id(data.client_id or -1)
  if not client or client.name ~= "llmos" then
    return
  end
  local params = data.params or {}
  local value = params.value
  if type(value) ~= "table" or params.token == nil then
    return
  end
  -- Tokens are the server's own; two servers (two workspaces) may reuse one.
  local token = client.id .. ":" .. tostring(params.token)
  local text
  if value.kind == "begin" then
    seq = seq + 1
    M.active[token] = { title = text_of(value.title), message = text_of(value.message), percentage = value.percentage, seq = seq, client_id = client.id }
    text = M.describe(M.active[token])
  elseif value.kind == "report" then
    local p = M.active[token]
    if not p then
      seq = seq + 1
      p = { seq = seq, client_id = client.id }
      M.active[token] = p
    end
    p.message = text_of(value.message) or p.message
    if type(value.percentage) == "number" then
      p.percentage = value.percentage
    end
    text = M.describe(p)
  elseif value.kind == "end" then
    local p = M.active[token]
    M.active[token] = nil
    local title = p and p.title
    local message = text_of(value.message) or "done"
    -- "Receiving reply…" / "Reply complete" says it twice; "Evolution (user)" does not.
    text = (title and not title:find("…$")) and (title .. " · " .. message) or message
  else
    return
  end
  M.last = text
  -- Statusline plugins (lualine, heirline) redraw on this; the builtin statusline here.
  pcall(vim.api.nvim_exec_autocmds, "User", { pattern = "LlmosProgress", modeline = false, data = { client_id = client.id, token = params.token, kind = value.kind, text = text } })
  pcall(vim.cmd.redrawstatus)
  if text ~= "" and should_echo(mode) then
    echo("llmos: " .. text, value.kind ~= "report")
  end
end

--- Forgets the work of a client that stopped (its `end` will never come); of every
--- client without `client_id`.
function M.reset(client_id)
  for token, p in pairs(M.active) do
    if client_id == nil or p.client_id == client_id then
      M.active[token] = nil
    end
  end
end

return M
