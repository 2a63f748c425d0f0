--- Shared by the headless Neovim tests: a throwaway workspace, waiting with a deadline,
--- and failing with a message and a non-zero exit.
--- Environment: LLMOS_BIN (the built `llmos`), LLMOS_FAKE_LLM (the fake provider).

local H = {}

H.plugin_dir = vim.fs.dirname(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)))
H.messages = {}

function H.log(msg)
  -- Headless messages end without a newline; start on a fresh line.
  io.stderr:write("\n" .. msg .. "\n")
end

function H.fail(msg)
  H.log("FAIL: " .. msg)
  if #H.messages > 0 then
    H.log("notifications:\n  " .. table.concat(H.messages, "\n  "))
  end
  vim.cmd("cquit 1")
end

function H.pass(name)
  H.log("ok - " .. name)
end

--- Waits until `cond()` returns a truthy value, else fails with `what`.
function H.wait(what, cond, timeout_ms)
  local value
  local ok = vim.wait(timeout_ms or 20000, function()
    value = cond()
    return value ~= nil and value ~= false
  end, 50)
  if not ok then
    H.fail("timed out waiting for " .. what)
  end
  return value
end

function H.check(ok, msg)
  if not ok then
    H.fail(msg)
  end
end

function H.env(name)
  local v = os.getenv(name)
  if not v or v == "" or vim.fn.executable(v) ~= 1 then
    H.fail(("set %s to an executable (got %s); editors/test.sh does this"):format(name, vim.inspect(v)))
  end
  return v
end

function H.write(root, rel, text)
  local path = root .. "/" .. rel
  vim.fn.mkdir(vim.fs.dirname(path), "p")
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
  return path
end

function H.run(cmd)
  local r = vim.system(cmd, { text = true }):wait(10000)
  if r.code ~= 0 then
    H.fail(("`%s` failed (%d): %s"):format(table.concat(cmd, " "), r.code, r.stderr or ""))
  end
  return vim.trim(r.stdout or "")
end

--- A workspace with the given files (relative path → text) and a git repository in
--- volumes/user.
-- Starts the loopback fake LLM (OpenAI wire format) with extra `args` (reply, chunks,
-- delay) and waits until it listens; returns the process and its port.
function H.fake_llm(args)
  local out = ""
  local cmd = { H.env("LLMOS_FAKE_LLM"), "--port", "0", "--provider", "openai", "--exit-after", "120" }
  vim.list_extend(cmd, args)
  local proc = vim.system(cmd, {
    text = true,
    stdout = function(_, data)
      if data then
        out = out .. data
      end
    end,
  })
  local port = H.wait("the fake LLM to listen", function()
    return out:match("listening on 127%.0%.0%.1:(%d+)")
  end, 10000)
  return proc, port
end

function H.workspace(files)
  local root = vim.fn.resolve(vim.fn.tempname())
  vim.fn.mkdir(root, "p")
  H.write(root, "llmos.toml", files["llmos.toml"] or "")
  for rel, text in pairs(files) do
    if rel ~= "llmos.toml" then
      H.write(root, rel, text)
    end
  end
  local user = root .. "/volumes/user"
  vim.fn.mkdir(user, "p")
  H.run({ "git", "-C", user, "init", "-q" })
  H.run({ "git", "-C", user, "config", "user.name", "Test" })
  H.run({ "git", "-C", user, "config", "user.email", "test@example.com" })
  H.root = root
  return root
end

--- Loads the plugin the way a user's config would, recording notifications.
function H.setup(opts)
  vim.opt.rtp:prepend(H.plugin_dir)
  vim.cmd("filetype on")
  local notify = vim.notify
  vim.notify = function(msg, level, o)
    table.insert(H.messages, ("[%s] %s"):format(tostring(level), msg))
    return notify(msg, level, o)
  end
  local llmos = require("llmos")
  llmos.setup(vim.tbl_deep_extend("force", { cmd = { H.env("LLMOS_BIN"), "lsp" } }, opts or {}))
  return llmos
end

--- Opens `path` and waits for the llmos client to attach to it.
function H.open(path)
  vim.cmd.edit(vim.fn.fnameescape(path))
  local buf = vim.api.nvim_get_current_buf()
  local client = H.wait("the llmos client to attach to " .. path, function()
    return vim.lsp.get_clients({ name = "llmos", bufnr = buf })[1]
  end)
  -- Commands sent before the server has loaded llmos.toml would see the defaults.
  -- (request_sync waits itself, so it is polled here rather than inside H.wait.)
  local deadline = vim.uv.now() + 20000
  while true do
    local r, err = client:request_sync("llmos/status", nil, 2000, buf)
    if r and r.result and r.result.ready then
      break
    end
    if vim.uv.now() > deadline then
      H.fail("the server did not finish loading the workspace: " .. vim.inspect(err or r))
    end
    vim.wait(100)
  end
  return buf
end

--- Runs `fn` and exits 0, or 1 with the error.
function H.main(name, fn)
  local ok, err = xpcall(fn, debug.traceback)
  if not ok then
    H.fail(name .. ": " .. tostring(err))
  end
  for _, c in ipairs(vim.lsp.get_clients()) do
    vim.lsp.stop_client(c.id, true)
  end
  if H.root then
    vim.fn.delete(H.root, "rf")
  end
  H.pass(name)
  vim.cmd("qall!")
end

return H
