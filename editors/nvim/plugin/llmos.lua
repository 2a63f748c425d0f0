-- Nothing starts until require("llmos").setup{} is called; this only guards reloading.
if vim.g.loaded_llmos then
  return
end
vim.g.loaded_llmos = true
