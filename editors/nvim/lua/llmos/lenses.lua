--- Code lenses kept fresh without manual `vim.lsp.codelens.refresh()`: on attach,
--- BufEnter, InsertLeave, after a reply, and when the server sends
--- `workspace/codeLens/refresh` (which the plugin announces it supports). Every path
--- checks that an llmos client is still attached, so nothing errors once the server is
--- gone; Neovim replaces a buffer's lenses in one step when the answer arrives, so they
--- do not blink.

local M = {}

local group = vim.api.nvim_create_augroup("llmos.lenses", { clear = true })

-- Client methods take `self` from 0.11 on; 0.10 has plain function fields.
local has_011 = vim.fn.has("nvim-0.11") == 1

local function serves_lenses(c, buf)
  if has_011 then
    return not c:is_stopped() and c:supports_method("textDocument/codeLens", buf)
  end
  return not c.is_stopped() and c.supports_method("textDocument/codeLens", { bufnr = buf })
end

--- The running llmos client of `buf` that serves code lenses, or nil.
local function lens_client(buf)
  for _, c in ipairs(vim.lsp.get_clients({ name = "llmos", bufnr = buf })) do
    if serves_lenses(c, buf) then
      return c
    end
  end
  return nil
end

function M.refresh(buf)
  if not require("llmos").config.codelens or not vim.api.nvim_buf_is_valid(buf) or not vim.api.nvim_buf_is_loaded(buf) then
    return
  end
  if lens_client(buf) then
    pcall(vim.lsp.codelens.refresh, { bufnr = buf })
  end
end

--- Keeps `buf`'s lenses fresh; called when the llmos client attaches to it.
function M.track(buf)
  vim.api.nvim_clear_autocmds({ group = group, buffer = buf })
  vim.api.nvim_create_autocmd({ "BufEnter", "InsertLeave" }, {
    group = group,
    buffer = buf,
    callback = function(ev)
      M.refresh(ev.buf)
    end,
  })
  M.refresh(buf)
end

--- `workspace/codeLens/refresh`: every buffer of that client, after the answer is sent.
function M.on_refresh(_, _, ctx)
  local client = vim.lsp.get_client_by_id(ctx.client_id)
  if client then
    local bufs = vim.tbl_keys(client.attached_buffers or {})
    vim.schedule(function()
      for _, buf in ipairs(bufs) do
        M.refresh(buf)
      end
    end)
  end
  return vim.NIL
end

return M
