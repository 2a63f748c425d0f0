-- After a reply the cursor goes to the new prompt line (under the closing user turn)
-- when it is still where it was at Send; a user who moved it during the reply keeps
-- their place. Both with a streamed reply from the loopback fake provider.
local H = dofile(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)) .. "/helpers.lua")

H.main("prompt cursor", function()
  local proc, port = H.fake_llm({ "--reply", "alpha beta gamma delta epsilon zeta", "--chunks", "6", "--delay-ms", "120" })

  local ok, err = pcall(function()
    local root = H.workspace({
      ["llmos.toml"] = ('[llm]\nprovider = "openai"\nbase_url = "http://127.0.0.1:%s/v1"\nmodel = "m"\napi_key_env = ""\n'):format(port),
      ["volumes/user/sessions/cursor.md"] = "---\ntitle: Cursor\nid: cursor\nstatus: uncommitted\ncommit: null\n---\n\n<!-- turn: user -->\nFirst question.\n",
    })
    H.setup()
    local buf = H.open(root .. "/volumes/user/sessions/cursor.md")
    local win = vim.api.nvim_get_current_win()

    -- The user turn after the last line holding `word` (the end of the latest reply), or
    -- nil while that reply streams.
    local function closing_marker(word)
      local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
      local seen
      for i, l in ipairs(lines) do
        if l:find(word, 1, true) then
          seen = i
        end
      end
      for i = (seen or #lines) + 1, #lines do
        if lines[i] == "<!-- turn: user -->" then
          return i
        end
      end
    end

    -- 1. The cursor stays on the question during the reply: afterwards it is on the prompt.
    vim.api.nvim_win_set_cursor(win, { 9, 3 })
    vim.cmd("LlmosSend")
    local marker = H.wait("the first reply and its closing user turn", function()
      return closing_marker("zeta")
    end, 30000)
    H.wait("the cursor on the new prompt line", function()
      return vim.api.nvim_win_get_cursor(win)[1] == marker + 1
    end, 5000)
    local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
    H.check(lines[marker + 1] == "", "the prompt line is not empty: " .. vim.inspect(lines[marker + 1]))

    -- 2. The user moves to the first line while the second reply streams: it stays there.
    vim.api.nvim_buf_set_lines(buf, marker, marker + 1, false, { "Second question." })
    vim.api.nvim_win_set_cursor(win, { marker + 1, 0 })
    vim.cmd("LlmosSend")
    H.wait("the second reply to start", function()
      return #vim.api.nvim_buf_get_lines(buf, 0, -1, false) > marker + 3
    end, 30000)
    vim.api.nvim_win_set_cursor(win, { 1, 0 })
    H.wait("the second reply's closing user turn", function()
      local m = closing_marker("zeta")
      return m and m > marker
    end, 30000)
    -- The plugin acts when the request answers, just after the text is in.
    vim.wait(500)
    local cursor = vim.api.nvim_win_get_cursor(win)
    H.check(cursor[1] == 1 and cursor[2] == 0, "the cursor was moved off the user's place: " .. vim.inspect(cursor))
  end)
  proc:kill(15)
  if not ok then
    error(err, 0)
  end
end)
