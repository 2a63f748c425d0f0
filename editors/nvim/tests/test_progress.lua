-- $/progress reaches LspProgress (what fidget.nvim reads) with begin/report/end for an
-- evolution run and begin/end for a reply and a commit; the plugin's statusline function shows the
-- work while it runs and `llmos` after; Neovim's $/progress handler stays Neovim's; the
-- plugin echoes progress without a progress UI and stays quiet when fidget is loaded.
local H = dofile(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)) .. "/helpers.lua")

local function messages()
  return vim.api.nvim_exec2("messages", { output = true }).output
end

H.main("progress", function()
  -- 12 chunks 120 ms apart: the reply runs long enough to look at it mid-way.
  local proc, port = H.fake_llm({ "--reply", "one two three four five six seven eight nine ten eleven twelve", "--chunks", "12", "--delay-ms", "120" })

  local ok, err = pcall(function()
    -- The demo workspace has a history in which evolution finds recurring work.
    local root = vim.fn.resolve(vim.fn.tempname())
    H.run({ H.env("LLMOS_BIN"), "init", "--demo", root })
    H.root = root
    local toml = table.concat(vim.fn.readfile(root .. "/llmos.toml"), "\n")
    H.write(root, "llmos.toml", toml .. ('\n[llm]\nprovider = "openai"\nbase_url = "http://127.0.0.1:%s/v1"\nmodel = "m"\napi_key_env = ""\n'):format(port))
    H.write(root, "volumes/user/sessions/progress.md", "---\ntitle: Progress\nid: progress\nstatus: uncommitted\ncommit: null\n---\n\n<!-- turn: user -->\nCount, please.\n")

    local builtin_progress = vim.lsp.handlers["$/progress"]
    local llmos = H.setup()
    local buf = H.open(root .. "/volumes/user/sessions/progress.md")

    local events = {}
    vim.api.nvim_create_autocmd("LspProgress", {
      callback = function(ev)
        local p = ev.data.params
        table.insert(events, { token = tostring(p.token), kind = p.value.kind, title = p.value.title, message = p.value.message, statusline = llmos.statusline(buf) })
      end,
    })
    local function of(prefix)
      local list = {}
      for _, e in ipairs(events) do
        if e.token:find(prefix, 1, true) then
          table.insert(list, e)
        end
      end
      return list
    end

    -- Evolution: begin, at least one report, end, in that order.
    vim.cmd("messages clear")
    vim.cmd("LlmosEvolve user")
    H.wait("the evolution's progress end", function()
      local e = of("llmos-evolution-")
      return #e > 0 and e[#e].kind == "end"
    end, 30000)
    local evo = of("llmos-evolution-")
    H.check(evo[1].kind == "begin" and evo[1].title == "Evolution (user)", "evolution progress does not begin: " .. vim.inspect(evo))
    local reports = 0
    for i = 2, #evo - 1 do
      H.check(evo[i].kind == "report", "not a report between begin and end: " .. vim.inspect(evo))
      reports = reports + 1
    end
    H.check(reports >= 1, "evolution sent no report: " .. vim.inspect(evo))
    for i = 1, #evo - 1 do
      H.check(evo[i].statusline:find("^llmos: Evolution %(user%)") ~= nil, "statusline while evolution runs: " .. vim.inspect(evo[i]))
    end
    H.check(evo[#evo].statusline == "llmos", "statusline after the run: " .. vim.inspect(evo[#evo]))
    -- No progress UI loaded: the plugin echoes it.
    H.wait("the echoed evolution progress", function()
      return messages():find("llmos: Evolution (user)", 1, true)
    end, 5000)

    -- A reply with fidget loaded: the statusline shows it while it streams, nothing is echoed.
    package.loaded.fidget = {}
    vim.cmd("messages clear")
    vim.cmd("LlmosSend")
    local mid = H.wait("the statusline to show the reply while it streams", function()
      local s = llmos.statusline(buf)
      local text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n")
      -- Some of the reply is in, the closing user turn is not: the reply is running.
      if s:find("^llmos: Receiving reply") and text:find("one", 1, true) and not text:find("twelve", 1, true) then
        return s
      end
    end, 20000)
    H.check(mid:find("· m", 1, true) ~= nil, "the statusline does not name the model: " .. mid)
    H.wait("the reply's progress end", function()
      local e = of("llmos-chat-")
      return #e > 0 and e[#e].kind == "end"
    end, 30000)
    local chat = of("llmos-chat-")
    H.check(chat[1].kind == "begin" and chat[1].title == "Receiving reply…", "reply progress: " .. vim.inspect(chat))
    H.check(chat[#chat].message == "Reply complete", "reply progress end: " .. vim.inspect(chat))
    H.check(llmos.statusline(buf) == "llmos", "statusline after the reply: " .. llmos.statusline(buf))
    H.check(not messages():find("Receiving reply", 1, true), "progress echoed although fidget is loaded:\n" .. messages())
    package.loaded.fidget = nil

    -- A commit reports its work too, ending with the commit it made.
    vim.cmd("LlmosCommit")
    H.wait("the commit's progress end", function()
      local e = of("llmos-command-")
      return #e > 0 and e[#e].kind == "end"
    end, 20000)
    local commit = of("llmos-command-")
    H.check(#commit == 2 and commit[1].kind == "begin" and commit[1].title == "Committing session", "commit progress: " .. vim.inspect(commit))
    H.check(commit[1].statusline == "llmos: Committing session", "statusline during the commit: " .. commit[1].statusline)
    local head = H.run({ "git", "-C", root .. "/volumes/user", "rev-parse", "--short", "HEAD" })
    H.check(commit[2].message == "committed " .. head, ("commit progress end %s, HEAD %s"):format(vim.inspect(commit[2].message), head))

    H.check(vim.lsp.handlers["$/progress"] == builtin_progress, "the plugin replaced Neovim's $/progress handler")
    local client = vim.lsp.get_clients({ name = "llmos", bufnr = buf })[1]
    H.check(client.handlers["$/progress"] == nil, "the llmos client has its own $/progress handler")

    -- The server stops in the middle of a reply: its `end` never comes, the statusline
    -- does not keep saying "Receiving reply…".
    vim.api.nvim_buf_set_lines(buf, -1, -1, false, { "Again, please." })
    vim.cmd("LlmosSend")
    H.wait("the second reply to run", function()
      return llmos.statusline(buf):find("^llmos: Receiving reply") ~= nil
    end, 20000)
    client:stop(true)
    H.wait("the statusline to drop the stopped server's work", function()
      return llmos.statusline(buf) == ""
    end, 10000)
  end)
  proc:kill(15)
  if not ok then
    error(err, 0)
  end
end)
