from retail.ads import SaveSlot, SlotView, save_slot
from retail.core import Caller, cloud_function


@cloud_function(SaveSlot, response=SlotView, auth="operator")
def main_handler(cmd: SaveSlot, caller: Caller) -> SlotView:
    return save_slot(cmd, operator=caller.require_operator("admin"))
