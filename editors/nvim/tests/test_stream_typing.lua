-- A reply streams from the loopback fake provider while the user types lines at the top,
-- middle and end of the buffer (Neovim skips an applyEdit older than the buffer yet
-- answers applied: true). Then: every reply word exactly once and in order, every typed
-- line present once, and the session ends in a new user turn after the reply. Then a
-- reply cut at the token limit inside a code fence: the fence is closed, the marker says
-- stop=max_tokens, and the next :LlmosSend works.
local H = dofile(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)) .. "/helpers.lua")

local WORDS = {}
for i = 0, 39 do
  WORDS[#WORDS + 1] = ("w%02d"):format(i)
end

-- The buffer's text with the usage figures (tokens=IN/OUT cache=R/W) taken off the
-- assistant markers: this test is about where text lands; the server's usage tests
-- check the figures.
local function text_of(buf)
  local text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n") .. "\n"
  text = text:gsub(" tokens=%d+/%d+", ""):gsub(" cache=%d+/%d+", "")
  return text
end

local function count(text, needle)
  local n, at = 0, 1
  while true do
    local s, e = text:find(needle, at, true)
    if not s then
      return n
    end
    n, at = n + 1, e + 1
  end
end

local function config(port)
  return ('[llm]\nprovider = "openai"\nbase_url = "http://127.0.0.1:%s/v1"\nmodel = "m"\napi_key_env = ""\n'):format(port)
end

H.main("stream_typing", function()
  local reply = table.concat(WORDS, " ") .. " "
  local proc, port = H.fake_llm({ "--reply", reply, "--chunks", "40", "--delay-ms", "50" })
  local ok, err = pcall(function()
    local root = H.workspace({
      ["llmos.toml"] = config(port),
      ["volumes/user/sessions/chat.md"] = "---\ntitle: Typing test\nid: chat\nstatus: uncommitted\ncommit: null\n---\n\n<!-- turn: user -->\nCount to forty.\n",
    })
    H.setup()
    local buf = H.open(root .. "/volumes/user/sessions/chat.md")
    vim.cmd("LlmosSend")
    H.wait("the reply to start", function()
      return text_of(buf):find("w01", 1, true)
    end, 20000)
    local typed = {}
    for round = 1, 3 do
      for _, place in ipairs({ "top", "middle", "end" }) do
        local line = ("TYPED %s %d"):format(place, round)
        local n = vim.api.nvim_buf_line_count(buf)
        local at = ({ top = 0, middle = math.floor(n / 2), ["end"] = n })[place]
        vim.api.nvim_buf_set_lines(buf, at, at, false, { line })
        typed[#typed + 1] = line
        vim.wait(70)
      end
    end
    local done = vim.wait(30000, function()
      local t = text_of(buf)
      local last = t:find("w39", 1, true)
      return last and t:find("<!-- turn: user -->", last, true) ~= nil
    end, 50)
    H.check(done, "the reply's last word and the next user turn never came:\n" .. text_of(buf))
    vim.wait(300)
    local t = text_of(buf)
    if os.getenv("LLMOS_TEST_VERBOSE") then
      H.log(t)
    end
    local seen = {}
    for w in t:gmatch("w%d%d") do
      seen[#seen + 1] = w
    end
    H.check(vim.deep_equal(seen, WORDS), "reply words lost, doubled or out of order:\n" .. t)
    for _, line in ipairs(typed) do
      H.check(count(t, line) == 1, ("typed line %q lost or doubled:\n%s"):format(line, t))
    end
    H.check(count(t, "<!-- turn: assistant model=m -->") == 1, "the assistant marker is not intact:\n" .. t)
  end)
  proc:kill(15)
  if not ok then
    error(err, 0)
  end

  -- A reply cut at the token limit inside a fence leaves a sendable session.
  proc, port = H.fake_llm({ "--cut-first", "Here:\n\n```python\nfor i in range(3):\n    print(i", "--reply", "second answer" })
  ok, err = pcall(function()
    local root = H.workspace({
      ["llmos.toml"] = config(port),
      ["volumes/user/sessions/cut.md"] = "---\ntitle: Cut test\nid: cut\nstatus: uncommitted\ncommit: null\n---\n\n<!-- turn: user -->\nWrite a loop.\n",
    })
    vim.cmd("silent! %bwipeout!")
    for _, c in ipairs(vim.lsp.get_clients()) do
      vim.lsp.stop_client(c.id, true)
    end
    local buf = H.open(root .. "/volumes/user/sessions/cut.md")
    vim.cmd("LlmosSend")
    local want = "<!-- turn: assistant model=m stop=max_tokens -->\nHere:\n\n```python\nfor i in range(3):\n    print(i\n```\n\n<!-- turn: user -->\n"
    H.wait("the cut reply, closed, with stop=max_tokens", function()
      return text_of(buf):find(want, 1, true)
    end, 20000)
    vim.api.nvim_buf_set_lines(buf, -1, -1, false, { "Now finish it." })
    vim.wait(200)
    vim.cmd("LlmosSend")
    H.wait("the second reply after the new prompt", function()
      return text_of(buf):find("Now finish it.\n\n<!-- turn: assistant model=m -->\nsecond answer\n\n<!-- turn: user -->", 1, true)
    end, 20000)
  end)
  proc:kill(15)
  if not ok then
    error(err, 0)
  end
end)
