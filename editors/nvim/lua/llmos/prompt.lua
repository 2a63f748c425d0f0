--- The prompt line of a session buffer: the line under its last `<!-- turn: user -->`
--- marker, where the next prompt is typed. Used to put the cursor there after a new
--- session and after a reply.

local M = {}

local function is_user_marker(line)
  return line:match("^%s*<!%-%-%s*turn:%s*user%f[^%w_-]") ~= nil
end

--- The 1-based line of the last user marker of `buf`, or nil.
function M.last_marker(buf)
  local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  for i = #lines, 1, -1 do
    if is_user_marker(lines[i]) then
      return i
    end
  end
  return nil
end

--- The 1-based prompt line of `buf` (the marker itself when nothing follows it), or nil.
function M.line(buf)
  local marker = M.last_marker(buf)
  if not marker then
    return nil
  end
  return math.min(marker + 1, vim.api.nvim_buf_line_count(buf))
end

--- Puts the cursor of `win` on the prompt line of the buffer it shows; false when the
--- buffer has no user turn.
function M.put_cursor(win)
  if not vim.api.nvim_win_is_valid(win) then
    return false
  end
  local line = M.line(vim.api.nvim_win_get_buf(win))
  if not line then
    return false
  end
  vim.api.nvim_win_set_cursor(win, { line, 0 })
  return true
end

return M
