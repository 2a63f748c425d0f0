--- `:checkhealth llmos`: the server binary, its version and the workspace found; the
--- provider (configured in llmos.toml, its key variable set — never its value — and its
--- base URL answering, asked of the running server through `llmos/providerCheck`); the
--- volumes (present, git repositories, remotes) from `llmos/status`, or from
--- `llmos status --format json` when no server runs.

local M = {}

function M.check()
  local health = vim.health
  local llmos = require("llmos")
  health.start("llmos")
  if vim.fn.has("nvim-0.10") == 1 then
    health.ok("Neovim " .. tostring(vim.version()))
  else
    health.error("Neovim 0.10 or newer is required")
  end

  local bin = llmos.config.cmd[1]
  local path = vim.fn.exepath(bin)
  if path == "" then
    health.error(("server binary `%s` not found"):format(bin), {
      "cargo install --path server   (in the llmos repository)",
      'or require("llmos").setup{ cmd = { "/path/to/llmos", "lsp" } }',
    })
  else
    health.ok("server binary: " .. path)
    local ok, result = pcall(function()
      return vim.system({ path, "--version" }, { text = true }):wait(5000)
    end)
    if ok and result and result.code == 0 then
      health.ok("version: " .. vim.trim(result.stdout or ""))
    else
      health.warn(("`%s --version` failed: %s"):format(path, ok and vim.trim((result and result.stderr) or "") or tostring(result)))
    end
  end

  -- :checkhealth shows its report in a new buffer; the buffer the user came from is `#`.
  local from = vim.fn.bufnr("#")
  local root = llmos.root(from > 0 and from or 0)
  if root then
    health.ok("workspace: " .. root)
  else
    health.warn("no workspace found from the current buffer or directory (looked for " .. table.concat(llmos.config.root_markers, ", ") .. ")", {
      "llmos init --demo DIR   creates one",
    })
  end

  -- The server of the workspace checked, when several run.
  local clients = vim.lsp.get_clients({ name = "llmos" })
  local client = clients[1]
  for _, c in ipairs(clients) do
    if root and c.config.root_dir == root then
      client = c
    end
  end
  if client then
    health.ok(("server running (client id %d, root %s)"):format(client.id, client.config.root_dir or "?"))
  else
    health.info("server not running (it starts on a Markdown or TOML buffer inside a workspace)")
  end

  M.check_provider(client)
  M.check_volumes(client, root, path)
end

local function request(client, method)
  -- A method from 0.11 on; 0.10 has a plain function field.
  local ok, response, err
  if vim.fn.has("nvim-0.11") == 1 then
    ok, response, err = pcall(client.request_sync, client, method, nil, 8000, 0)
  else
    ok, response, err = pcall(client.request_sync, method, nil, 8000, 0)
  end
  if not ok then
    return nil, tostring(response)
  end
  if not response then
    return nil, err or "no answer"
  end
  if response.err then
    return nil, response.err.message or vim.inspect(response.err)
  end
  return response.result, nil
end

local function text(v)
  return type(v) == "string" and v ~= "" and v or nil
end

function M.check_provider(client)
  local health = vim.health
  health.start("llmos: provider")
  if not client then
    health.info("the server is not running: open a file of the workspace, then run :checkhealth llmos again to check the provider")
    return
  end
  local r, err = request(client, "llmos/providerCheck")
  if not r then
    health.error("the server did not answer llmos/providerCheck: " .. tostring(err), { "update the server: this check needs llmos with llmos/providerCheck" })
    return
  end
  if not r.configured then
    health.warn("no provider configured: chat is off", { "add to llmos.toml:  [llm] provider = \"openai\"  model = \"…\"  (base_url, api_key_env as needed)" })
    return
  end
  if text(r.error) then
    health.error("[llm] in llmos.toml: " .. r.error)
    return
  end
  health.ok(("provider: %s · model %s · %s"):format(r.provider or "?", r.model or "?", text(r.baseUrl) or "?"))
  local key = type(r.key) == "table" and r.key or {}
  if key.state == "set" then
    health.ok(("API key variable %s is set"):format(key.var))
  elseif key.state == "notSent" then
    health.ok("no API key is sent (api_key_env = \"\")")
  elseif key.state == "missing" and key.required then
    health.error(("API key variable %s is not set: replies will fail"):format(key.var), {
      ("export %s=… in the shell that starts Neovim (the server inherits it)"):format(key.var),
      "or name another variable with api_key_env in [llm] of llmos.toml",
    })
  elseif key.state == "missing" then
    health.info(("API key variable %s is not set; a loopback server gets no key header"):format(key.var))
  end
  local reach = type(r.reachability) == "table" and r.reachability or {}
  if reach.state == "reached" then
    health.ok(("%s answers (HTTP %s in %s ms)"):format(text(r.baseUrl) or "the base URL", tostring(reach.status), tostring(reach.millis)))
  elseif reach.state == "unreachable" then
    health.error(("%s is not reachable: %s"):format(text(r.baseUrl) or "the base URL", reach.reason or "?"), {
      "check base_url in [llm] of llmos.toml, that the model server runs, and the network",
    })
  elseif reach.state == "invalidUrl" then
    health.error("base_url in [llm] of llmos.toml: " .. (reach.reason or "invalid"))
  end
end

--- Volumes from the running server, else from `llmos status --format json ROOT`.
local function volumes(client, root, bin)
  if client then
    local r, err = request(client, "llmos/status")
    return r and r.volumes, err
  end
  if not root or bin == "" then
    return nil, nil
  end
  local ok, result = pcall(function()
    return vim.system({ bin, "status", "--format", "json", root }, { text = true }):wait(10000)
  end)
  if not ok or not result or result.code ~= 0 then
    return nil, ok and result and vim.trim(result.stderr or "") or tostring(result)
  end
  local decoded, parsed = pcall(vim.json.decode, result.stdout or "", { luanil = { object = true, array = true } })
  if not decoded or type(parsed) ~= "table" then
    return nil, "`llmos status --format json` printed no JSON"
  end
  return parsed.volumes, nil
end

function M.check_volumes(client, root, bin)
  local health = vim.health
  local llmos = require("llmos")
  health.start("llmos: volumes")
  local list, err = volumes(client, root, bin)
  if type(list) ~= "table" then
    if err then
      health.warn("cannot read the volumes: " .. err)
    else
      health.info("no workspace, so no volumes to check")
    end
    return
  end
  for _, v in ipairs(list) do
    local name = tostring(v.name)
    local path = text(v.path) or "?"
    if vim.fn.isdirectory(path) ~= 1 then
      health.warn(("%s: %s does not exist"):format(name, path), { "llmos init creates the volumes, or fix [volumes] in llmos.toml" })
    else
      local facts = { ("%d skills, %d sessions"):format(tonumber(v.skills) or 0, tonumber(v.sessions) or 0) }
      if v.writable == false then
        table.insert(facts, "read-only")
      end
      if v.repository then
        health.ok(("%s: %s (git repository; %s)"):format(name, path, table.concat(facts, ", ")))
      else
        health.warn(("%s: %s is not a git repository: sessions cannot be committed there"):format(name, path), { ("git -C %s init"):format(vim.fn.shellescape(path)) })
      end
      local remote = llmos.shown_remote(v.remote)
      if remote then
        local ab = type(v.aheadBehind) == "table" and v.aheadBehind or nil
        health.ok(("%s: remote %s%s"):format(name, remote, ab and (" (%d ahead, %d behind)"):format(tonumber(ab.ahead) or 0, tonumber(ab.behind) or 0) or ""))
      else
        health.info(("%s: no remote (sync is off; set remote in [volumes.%s] of llmos.toml to share it)"):format(name, name))
      end
    end
  end
end

return M
