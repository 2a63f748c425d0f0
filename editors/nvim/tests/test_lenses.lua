-- Code lenses without manual refreshes: shown when the session opens, Send turning into
-- Cancel while a reply streams and back after it, updated on InsertLeave, refreshed
-- when the server sends workspace/codeLens/refresh (after an evolution run), and no
-- error from any of these once the server is gone.
local H = dofile(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)) .. "/helpers.lua")

H.main("lenses", function()
  local proc, port = H.fake_llm({ "--reply", "one two three four five six seven eight nine ten", "--chunks", "10", "--delay-ms", "150" })

  local ok, err = pcall(function()
    local root = H.workspace({
      ["llmos.toml"] = ('[llm]\nprovider = "openai"\nbase_url = "http://127.0.0.1:%s/v1"\nmodel = "m"\napi_key_env = ""\n'):format(port),
      ["volumes/user/sessions/lens.md"] = "---\ntitle: Lens\nid: lens\nstatus: uncommitted\ncommit: null\n---\n\n<!-- turn: user -->\nA question.\n",
    })
    local llmos = H.setup()
    local buf = H.open(root .. "/volumes/user/sessions/lens.md")

    local function titles()
      local list = {}
      for _, lens in ipairs(vim.lsp.codelens.get(buf)) do
        if lens.command then
          table.insert(list, lens.command.title)
        end
      end
      return list
    end
    local function has(title)
      return vim.tbl_contains(titles(), title)
    end

    H.wait("the Send lens without a manual refresh", function()
      return has("Send")
    end)

    vim.cmd("LlmosSend")
    H.wait("the Cancel lens while the reply streams", function()
      return has("Receiving reply… · Cancel")
    end)
    H.wait("the Send lens back after the reply", function()
      local text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n")
      return text:find("ten", 1, true) and has("Send") and not has("Receiving reply… · Cancel")
    end)

    -- Ending the session on an assistant turn leaves nothing to send: the lens goes
    -- when the user leaves insert mode.
    vim.api.nvim_buf_set_lines(buf, -1, -1, false, { "<!-- turn: assistant -->", "Typed by hand." })
    vim.api.nvim_exec_autocmds("InsertLeave", { buffer = buf })
    H.wait("the Send lens to go after InsertLeave", function()
      return not has("Send")
    end)
    vim.api.nvim_buf_set_lines(buf, -3, -1, false, {})

    -- The server asks for a refresh after evolution; the plugin announced it can.
    local lenses = require("llmos.lenses")
    local asked = 0
    local on_refresh = lenses.on_refresh
    lenses.on_refresh = function(...)
      asked = asked + 1
      return on_refresh(...)
    end
    vim.cmd("LlmosEvolve")
    H.wait("workspace/codeLens/refresh from the server", function()
      return asked > 0
    end)
    H.wait("the Send lens after the server's refresh", function()
      return has("Send")
    end)

    -- The server goes away: leaving insert mode and entering buffers raise nothing.
    local client = vim.lsp.get_clients({ name = "llmos", bufnr = buf })[1]
    client:stop(true)
    H.wait("the server to stop", function()
      return client:is_stopped()
    end)
    vim.v.errmsg = ""
    local before = #H.messages
    vim.cmd("enew")
    vim.cmd.buffer(buf)
    vim.api.nvim_exec_autocmds("InsertLeave", { buffer = buf })
    vim.api.nvim_exec_autocmds("BufEnter", { buffer = buf })
    vim.wait(300)
    H.check(vim.v.errmsg == "", "an error after the server stopped: " .. vim.v.errmsg)
    for i = before + 1, #H.messages do
      H.check(not H.messages[i]:find("^%[4%]"), "an error notification after the server stopped: " .. H.messages[i])
    end
    H.check(llmos.statusline(buf) == "", "the statusline still names a stopped server: " .. llmos.statusline(buf))
  end)
  proc:kill(15)
  if not ok then
    error(err, 0)
  end
end)
