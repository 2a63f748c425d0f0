-- :LlmosNewSession creates sessions/<id>.md in the volume and the server opens it in
-- Neovim through window/showDocument with the cursor on the prompt line; `volume=` picks
-- the volume, a bad one is refused.
local H = dofile(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)) .. "/helpers.lua")

H.main("new session", function()
  local root = H.workspace({ ["volumes/user/sessions/old.md"] = "---\ntitle: Old\nid: old\nstatus: uncommitted\ncommit: null\n---\n" })
  H.setup()
  local first = H.open(root .. "/volumes/user/sessions/old.md")

  vim.cmd("LlmosNewSession Plan the Neovim tests")
  local buf = H.wait("the new session to open", function()
    local b = vim.api.nvim_get_current_buf()
    return b ~= first and vim.api.nvim_buf_get_name(b):match("/volumes/user/sessions/[^/]*plan%-the%-neovim%-tests[^/]*%.md$") and b or nil
  end)
  local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  H.check(vim.tbl_contains(lines, "title: Plan the Neovim tests"), "new session text:\n" .. table.concat(lines, "\n"))
  H.check(vim.tbl_contains(lines, "<!-- turn: user -->"), "no user turn in the new session")
  -- The cursor waits on the prompt line: the one under the user turn's marker.
  local row = vim.api.nvim_win_get_cursor(0)[1]
  H.check(lines[row - 1] == "<!-- turn: user -->" and lines[row] == "", ("cursor on line %d of:\n%s"):format(row, table.concat(lines, "\n")))
  H.wait("the llmos client to attach to the new session", function()
    return #vim.lsp.get_clients({ name = "llmos", bufnr = buf }) > 0
  end)

  vim.cmd("LlmosNewSession volume=nowhere Lost")
  H.wait("the refusal of an unknown volume", function()
    for _, m in ipairs(H.messages) do
      if m:find("unknown volume", 1, true) then
        return true
      end
    end
  end)
  H.check(#vim.fn.glob(root .. "/volumes/*/sessions/*lost*.md", false, true) == 0, "a session was created in an unknown volume")
end)
