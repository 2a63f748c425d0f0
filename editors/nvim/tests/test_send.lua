-- :LlmosSend against the loopback fake provider: the reply streams into the buffer
-- through workspace/applyEdit, followed by a new user turn, and progress is shown.
local H = dofile(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)) .. "/helpers.lua")

local REPLY = "Hello from fake"

H.main("send", function()
  local proc, port = H.fake_llm({ "--reply", REPLY })

  local ok, err = pcall(function()
    local root = H.workspace({
      ["llmos.toml"] = ('[llm]\nprovider = "openai"\nbase_url = "http://127.0.0.1:%s/v1"\nmodel = "m"\napi_key_env = ""\n'):format(port),
      ["volumes/user/sessions/chat.md"] = "---\ntitle: Chat test\nid: chat\nstatus: uncommitted\ncommit: null\n---\n\n<!-- turn: user -->\nSay hello.\n",
    })
    H.setup()
    local buf = H.open(root .. "/volumes/user/sessions/chat.md")
    vim.cmd("LlmosSend")
    H.wait("the reply and a new user turn in the buffer", function()
      local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
      local reply_at
      for i, l in ipairs(lines) do
        if not reply_at and l:find(REPLY, 1, true) then
          reply_at = i
        elseif reply_at and l == "<!-- turn: user -->" then
          return true
        end
      end
    end, 30000)
    -- The server reports the reply as $/progress; the plugin echoes it.
    H.wait("a progress message from the chat", function()
      return require("llmos").last_progress
    end, 5000)
    local text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n")
    H.check(text:find("<!%-%- turn: assistant") ~= nil, "no assistant turn marker before the reply:\n" .. text)
    if os.getenv("LLMOS_TEST_VERBOSE") then
      H.log(text)
    end
    local prompt_at = text:find("Say hello.", 1, true)
    H.check(prompt_at ~= nil and prompt_at < text:find(REPLY, 1, true), "the user's prompt was lost or moved:\n" .. text)
  end)
  proc:kill(15)
  if not ok then
    error(err, 0)
  end
end)
