--- llmos for Neovim: starts `llmos lsp` for Markdown and TOML buffers inside an llmos
--- workspace and turns the server's commands into user commands. All the work is in the
--- server; edits it sends (`workspace/applyEdit`) and documents it opens
--- (`window/showDocument`) are handled by Neovim's own LSP client.

local M = {}

local defaults = {
  --- The server command; `llmos` on PATH by default.
  cmd = { "llmos", "lsp" },
  --- Sent as initializationOptions and as `workspace/didChangeConfiguration` `{llmos = …}`:
  --- `profile`, `debounceMs`, `llm = {provider, model, baseUrl, apiKeyEnv}`, …
  --- `markdownImages = false`: Neovim's hover float cannot show images, so the server
  --- sends text instead (an image's name, format and pixel size; a plot's sparkline).
  settings = { markdownImages = false },
  filetypes = { "markdown", "toml" },
  root_markers = { "llmos.toml", "volumes" },
  --- Server work (indexing, replies, evolution) as `$/progress`. Neovim's client stores it
  --- and fires `LspProgress`, which fidget.nvim and the plugin both read; the `$/progress`
  --- handler itself is left alone. `true`: the statusline function shows it, and it is
  --- echoed unless a progress UI (fidget.nvim, noice.nvim) is loaded; `"echo"`: always
  --- echoed too; `"statusline"`: never echoed; `false`: ignored by the plugin.
  progress = true,
  --- Code lenses (Send / Cancel, token counts, evolution countdowns) shown and kept
  --- fresh: on attach, BufEnter, InsertLeave, after a reply and when the server asks.
  codelens = true,
  --- After `:LlmosNewSession`, and after a reply if the cursor was not moved while it
  --- streamed, put the cursor on the prompt line (the line under the last user turn).
  cursor_to_prompt = true,
  --- `:LlmosEvolve`: the report opens in one reused window of this height at the bottom,
  --- and the patterns and skills go to the quickfix list (`:copen`).
  evolution = { height = 15, quickfix = true },
  --- Buffer-local keymaps in session files (`…/sessions/*.md`). Set a key to false to
  --- drop it, or `keymaps = false` to define none.
  keymaps = {
    send = { "<C-s>", modes = { "n", "i" } },
    cancel = { "<C-c>", modes = { "n" } },
    commit = { "<localleader>c", modes = { "n" } },
  },
}

M.config = vim.deepcopy(defaults)

--- Handlers of the llmos client only (see lua/llmos/handlers.lua).
M.handlers = require("llmos.handlers")

--- Server commands run by code lenses that the plugin runs itself: Send waits for the
--- reply (cursor to the prompt), evolution shows its report and quickfix list.
M.client_commands = {
  ["llmos.chat.send"] = function(_, ctx)
    M.send(ctx.bufnr)
  end,
  ["llmos.evolution.run"] = function(command, ctx)
    local args = type(command.arguments) == "table" and command.arguments[1] or {}
    M.evolve(type(args) == "table" and args.volume or "user", ctx.bufnr)
  end,
}

local has_011 = vim.fn.has("nvim-0.11") == 1

--- The workspace root holding `buf`, or nil.
function M.root(buf)
  buf = buf or 0
  local name = vim.api.nvim_buf_get_name(buf)
  -- Unnamed and non-file buffers (health://, term://, …) look from the working directory.
  if name == "" or name:match("^%a[%w+.-]*://") then
    return vim.fs.root(vim.fn.getcwd(), M.config.root_markers)
  end
  return vim.fs.root(buf, M.config.root_markers)
end

--- The llmos client attached to `buf` (or any llmos client), or nil.
function M.client(buf)
  local clients = vim.lsp.get_clients({ name = "llmos", bufnr = buf })
  if #clients == 0 and buf ~= nil then
    clients = vim.lsp.get_clients({ name = "llmos" })
  end
  return clients[1]
end

-- `client.request` became a method in 0.11; 0.10 has a plain function field.
local function request(client, method, params, handler, buf)
  if has_011 then
    return client:request(method, params, handler, buf)
  end
  return client.request(method, params, handler, buf)
end

local function notify(msg, level)
  vim.notify("llmos: " .. msg, level or vim.log.levels.INFO)
end

--- Starts (or reuses) the server for `buf` when it lies in a workspace.
function M.attach(buf)
  buf = (buf == nil or buf == 0) and vim.api.nvim_get_current_buf() or buf
  if vim.bo[buf].buftype ~= "" then
    return nil
  end
  local root = M.root(buf)
  if not root then
    return nil
  end
  if vim.fn.executable(M.config.cmd[1]) ~= 1 then
    if not M._warned_missing then
      M._warned_missing = true
      local msg = ("the language server `%s` was not found; install it with `cargo install --path server` in the llmos repository, or pass `cmd` to setup()"):format(M.config.cmd[1])
      -- Scheduled: an error message inside the FileType autocommand would abort `:edit`.
      vim.schedule(function()
        notify(msg, vim.log.levels.ERROR)
      end)
    end
    return nil
  end
  -- Neovim does not announce code lens refreshes; the plugin handles them (below).
  local capabilities = vim.tbl_deep_extend("force", vim.lsp.protocol.make_client_capabilities(), {
    workspace = { codeLens = { refreshSupport = M.config.codelens and true or false } },
  })
  return vim.lsp.start({
    name = "llmos",
    cmd = M.config.cmd,
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = vim.fs.basename(root) } },
    init_options = M.config.settings,
    -- Neovim sends these with workspace/didChangeConfiguration after initialize.
    settings = { llmos = M.config.settings },
    capabilities = capabilities,
    -- Lenses run these through the plugin, as the user commands do.
    commands = M.client_commands,
    -- Client-local: other servers keep Neovim's own handlers.
    handlers = M.handlers,
    -- A server that stopped sends no `end` for its running work.
    on_exit = function(_, _, client_id)
      vim.schedule(function()
        require("llmos.progress").reset(client_id)
        M.busy = require("llmos.progress").current()
        pcall(vim.cmd.redrawstatus)
      end)
    end,
  }, { bufnr = buf })
end

--- Runs a server command with one argument object; `on_done(result)` on success.
function M.execute(command, args, on_done, buf)
  buf = buf or vim.api.nvim_get_current_buf()
  local client = M.client(buf)
  if not client then
    notify("no llmos server for this buffer (is it inside a folder with llmos.toml or volumes/?)", vim.log.levels.ERROR)
    return false
  end
  request(client, "workspace/executeCommand", { command = command, arguments = { args } }, function(err, result)
    if err then
      notify(command .. ": " .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
      return
    end
    if on_done then
      on_done(result)
    end
  end, buf)
  return true
end

local function buf_uri(buf)
  return vim.uri_from_bufnr(buf or vim.api.nvim_get_current_buf())
end

-- The server commits the buffer's text and stamps `status:`/`commit:` in the buffer
-- without touching the file (writing it would bring up W12 at the next :w); saving the
-- buffer makes it, the file and HEAD agree.
local function save_committed(buf, result)
  vim.schedule(function()
    if type(result) ~= "table" or type(result.save) ~= "string" or not vim.api.nvim_buf_is_valid(buf) then
      return
    end
    if vim.uri_from_bufnr(buf) == result.save and vim.bo[buf].modified then
      vim.api.nvim_buf_call(buf, function()
        vim.cmd("silent update")
      end)
    end
  end)
end

local function parse_volume(fargs, default)
  local v = fargs[1]
  if v == nil or v == "" then
    return default
  end
  return v
end

--- `90061` → `1d 1h`: two units at most.
function M.format_duration(seconds)
  local rest = math.max(0, math.floor(tonumber(seconds) or 0))
  local parts = {}
  for _, u in ipairs({ { "d", 86400 }, { "h", 3600 }, { "m", 60 }, { "s", 1 } }) do
    local n = math.floor(rest / u[2])
    if n > 0 and #parts < 2 then
      parts[#parts + 1] = n .. u[1]
      rest = rest - n * u[2]
    elseif #parts > 0 then
      break
    end
  end
  return #parts > 0 and table.concat(parts, " ") or "0s"
end

--- `status` from `llmos/status` as lines for :LlmosStatus.
function M.format_status(s)
  if type(s) ~= "table" then
    return { "llmos: no status" }
  end
  local lines = { ("workspace: %s%s"):format(s.workspace or "(none)", s.ready and "" or " (indexing)") }
  if type(s.provider) == "table" then
    table.insert(lines, ("llm: %s%s%s"):format(
      s.provider.provider or "?",
      s.provider.model ~= vim.NIL and s.provider.model and (" · " .. s.provider.model) or "",
      s.provider.baseUrl ~= vim.NIL and s.provider.baseUrl and (" · " .. s.provider.baseUrl) or ""
    ))
  else
    table.insert(lines, "llm: not configured")
  end
  for _, v in ipairs(s.volumes or {}) do
    table.insert(lines, ("%s: %d skills · %d sessions · %s%s%s"):format(
      v.name,
      v.skills or 0,
      v.sessions or 0,
      v.repository and "git" or "not a repository",
      M.shown_remote(v.remote) and (" · " .. M.shown_remote(v.remote)) or "",
      v.writable and "" or " · read-only"
    ))
  end
  for _, j in ipairs(s.jobs or {}) do
    local when
    if j.every == vim.NIL or j.every == nil then
      when = "off"
    else
      -- The server sends the interval as text ("1d 0h"); seconds are accepted too.
      when = "every " .. (type(j.every) == "number" and M.format_duration(j.every) or tostring(j.every))
      if type(j.nextRun) == "number" then
        when = when .. ", next run in " .. M.format_duration(j.nextRun - os.time())
      elseif type(j.nextRun) == "string" then
        when = when .. ", next run " .. j.nextRun
      end
    end
    table.insert(lines, ("evolution %s: %s"):format(j.volume, when))
  end
  return lines
end

--- Runs evolution on `volume`; the result goes to the report window, the quickfix list
--- and one summary line (lua/llmos/evolution.lua).
function M.evolve(volume, buf)
  return M.execute("llmos.evolution.run", { volume = volume }, function(r)
    vim.schedule(function()
      require("llmos.evolution").show(volume, r)
    end)
  end, buf)
end

--- The first of `candidates` that fits the command line, else the last one cut to fit:
--- a longer message would stop at "Press ENTER".
function M.fit(candidates)
  local room = math.max(20, vim.v.echospace)
  for _, text in ipairs(candidates) do
    if vim.fn.strdisplaywidth(text) <= room then
      return text
    end
  end
  return vim.fn.strcharpart(candidates[#candidates], 0, room - 1) .. "…"
end

--- A remote URL as it may be shown: without user info, where a token may sit.
function M.shown_remote(remote)
  if type(remote) ~= "string" then
    return nil
  end
  return (remote:gsub("^(%a[%w+.-]*://)[^/@]*@", "%1"))
end

local function define_commands()
  local cmd = vim.api.nvim_create_user_command
  cmd("LlmosSend", function()
    M.send()
  end, { desc = "llmos: send the session's last user turn to the LLM" })
  cmd("LlmosCancel", function()
    M.execute("llmos.chat.cancel", { uri = buf_uri() }, function(r)
      notify((type(r) == "table" and r.cancelled) and "reply cancelled" or "no reply running")
    end)
  end, { desc = "llmos: cancel the reply being streamed" })
  cmd("LlmosCommit", function()
    local buf = vim.api.nvim_get_current_buf()
    M.execute("llmos.session.commit", { uri = buf_uri(buf) }, function(r)
      notify("committed " .. ((type(r) == "table" and r.short) or ""))
      save_committed(buf, r)
    end, buf)
  end, { desc = "llmos: commit the session to its volume" })
  cmd("LlmosNewSession", function(o)
    local args = {}
    local fargs = vim.deepcopy(o.fargs)
    if fargs[1] and fargs[1]:match("^volume=") then
      args.volume = table.remove(fargs, 1):sub(8)
    end
    local title = table.concat(fargs, " ")
    if title ~= "" then
      args.title = title
    end
    M.execute("llmos.session.new", args, function(r)
      -- Clients without window/showDocument open the file here (Neovim has it: the
      -- server opened the session and handlers.lua put the cursor on its prompt).
      if type(r) == "table" and type(r.path) == "string" and vim.fn.bufnr(r.path) == -1 then
        vim.cmd.edit(vim.fn.fnameescape(r.path))
        if M.config.cursor_to_prompt then
          require("llmos.prompt").put_cursor(vim.api.nvim_get_current_win())
        end
      end
    end)
  end, { nargs = "*", desc = "llmos: new session [volume=team] [title]" })
  cmd("LlmosEvolve", function(o)
    M.evolve(parse_volume(o.fargs, "user"))
  end, { nargs = "?", complete = function() return { "user", "team", "system" } end, desc = "llmos: run evolution on a volume; report window and quickfix list" })
  cmd("LlmosPromote", function(o)
    M.execute("llmos.skill.promote", { uri = buf_uri(), to = parse_volume(o.fargs, "team") }, function()
      notify("promoted")
    end)
  end, { nargs = "?", complete = function() return { "team", "system" } end, desc = "llmos: promote this skill to team or system" })
  cmd("LlmosStatus", function()
    local buf = vim.api.nvim_get_current_buf()
    local client = M.client(buf)
    if not client then
      notify("no llmos server running", vim.log.levels.WARN)
      return
    end
    request(client, "llmos/status", nil, function(err, result)
      if err then
        notify("status: " .. err.message, vim.log.levels.ERROR)
        return
      end
      notify(table.concat(M.format_status(result), "\n"))
    end, buf)
  end, { desc = "llmos: workspace, provider, volumes and evolution jobs" })
end

local function progress_handler(ev)
  local progress = require("llmos.progress")
  progress.on_progress(ev, M.config.progress)
  M.busy = progress.current()
  M.last_progress = progress.last
  -- Work starting or ending changes lenses (Send ↔ Cancel, countdowns): refresh the
  -- llmos buffers on screen.
  local kind = ev.data and ev.data.params and type(ev.data.params.value) == "table" and ev.data.params.value.kind
  if kind == "begin" or kind == "end" then
    vim.schedule(function()
      local seen = {}
      for _, win in ipairs(vim.api.nvim_list_wins()) do
        local buf = vim.api.nvim_win_get_buf(win)
        if not seen[buf] then
          seen[buf] = true
          require("llmos.lenses").refresh(buf)
        end
      end
    end)
  end
end

--- Sends the session in `buf` (default: the current buffer). The request waits for the
--- reply's end, so the cursor can go to the new prompt line afterwards — only if it is
--- still where it was at Send, so a user who moved or typed meanwhile keeps their place.
function M.send(buf)
  buf = (buf == nil or buf == 0) and vim.api.nvim_get_current_buf() or buf
  local win = vim.api.nvim_get_current_win()
  local at_send = vim.api.nvim_win_get_buf(win) == buf and vim.api.nvim_win_get_cursor(win) or nil
  local marker = require("llmos.prompt").last_marker(buf) or 0
  return M.execute("llmos.chat.send", { uri = buf_uri(buf), wait = true }, function(r)
    vim.schedule(function()
      M.reply_done(buf, win, at_send, marker, r)
    end)
  end, buf)
end

--- After a reply: lenses refreshed; the cursor on the new prompt (see M.send).
function M.reply_done(buf, win, at_send, marker, result)
  if not vim.api.nvim_buf_is_valid(buf) then
    return
  end
  require("llmos.lenses").refresh(buf)
  if not M.config.cursor_to_prompt or not at_send or type(result) ~= "table" then
    return
  end
  if not vim.api.nvim_win_is_valid(win) or vim.api.nvim_win_get_buf(win) ~= buf then
    return
  end
  local now = vim.api.nvim_win_get_cursor(win)
  local prompt = require("llmos.prompt")
  -- A new user turn below the old one: the reply (or what came of it) is in place.
  if now[1] == at_send[1] and now[2] == at_send[2] and (prompt.last_marker(buf) or 0) > marker then
    prompt.put_cursor(win)
  end
end

local KEY_ACTIONS = {
  send = { cmd = "LlmosSend", desc = "llmos: send the session" },
  cancel = { cmd = "LlmosCancel", desc = "llmos: cancel the reply" },
  commit = { cmd = "LlmosCommit", desc = "llmos: commit the session" },
}

--- Whether `buf` is a session file (a Markdown file in a volume's sessions/ folder).
function M.is_session(buf)
  local name = vim.api.nvim_buf_get_name(buf)
  return name:match("/sessions/[^/]+%.md$") ~= nil
end

--- Sets the buffer-local keymaps of a session buffer (see `keymaps` in setup()).
function M.set_keymaps(buf)
  local maps = M.config.keymaps
  if type(maps) ~= "table" or not M.is_session(buf) then
    return
  end
  for action, spec in pairs(maps) do
    local what = KEY_ACTIONS[action]
    local lhs = type(spec) == "table" and spec[1] or spec
    if what and type(lhs) == "string" and lhs ~= "" then
      local modes = type(spec) == "table" and spec.modes or { "n" }
      vim.keymap.set(modes, lhs, "<Cmd>" .. what.cmd .. "<CR>", { buffer = buf, desc = what.desc, silent = true })
    end
  end
end

--- For the statusline: `llmos: receiving reply…` while the server reports work, `llmos`
--- when a server is attached to `buf`, else "".
function M.statusline(buf)
  buf = buf or vim.api.nvim_get_current_buf()
  local busy = M.config.progress and require("llmos.progress").current()
  if busy then
    return "llmos: " .. busy
  end
  return M.client(buf) and #vim.lsp.get_clients({ name = "llmos", bufnr = buf }) > 0 and "llmos" or ""
end

function M.setup(opts)
  M.config = vim.tbl_deep_extend("force", vim.deepcopy(defaults), opts or {})
  if type(M.config.cmd) == "string" then
    M.config.cmd = { M.config.cmd, "lsp" }
  end
  local group = vim.api.nvim_create_augroup("llmos", { clear = true })
  vim.api.nvim_create_autocmd("FileType", {
    group = group,
    pattern = M.config.filetypes,
    callback = function(ev)
      if M.attach(ev.buf) then
        M.set_keymaps(ev.buf)
      end
    end,
  })
  if M.config.progress then
    vim.api.nvim_create_autocmd("LspProgress", { group = group, callback = progress_handler })
  end
  vim.api.nvim_create_autocmd("LspAttach", {
    group = group,
    callback = function(ev)
      local client = vim.lsp.get_client_by_id(ev.data and ev.data.client_id or -1)
      if client and client.name == "llmos" then
        require("llmos.lenses").track(ev.buf)
      end
    end,
  })
  define_commands()
  -- Buffers opened before setup() ran.
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(buf) and vim.tbl_contains(M.config.filetypes, vim.bo[buf].filetype) and M.attach(buf) then
      M.set_keymaps(buf)
    end
  end
end

return M
