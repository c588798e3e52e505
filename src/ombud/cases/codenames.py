"""Random code names for cases ("amber-falcon"): easy to say, revealing nothing."""

import secrets

ADJECTIVES = """
amber azure bold brave breezy bright brisk calm candid clear clever cobalt coral cosy crisp
curious daring dawn deep deft eager early earnest easy echo elder even fair fabled fast fern
fleet fluent frank fresh gentle gilded glad golden grand green hardy hazel hidden honest
humble indigo ivory jade jolly keen kind lavender level light lilac lively loyal lucid lunar
maple mellow merry mild mint misty modest mossy neat nimble noble north oaken ochre olive
open opal orange patient pearl plain polar proud quick quiet rapid rare ready regal rosy
royal ruby rustic saffron sage salty sandy scarlet serene sharp shy silent silver simple
sleek smooth snowy solar solid spare spry steady stellar still stoic sturdy sunny swift
tawny teal tidy topaz tranquil true tulip umber upbeat urban vast velvet verdant vivid warm
west wild willow windy wise witty woven young zesty
""".split()

ANIMALS = """
albatross alpaca antelope badger beaver bison bluebird bobcat buffalo bunting buzzard camel
capybara caribou cheetah chipmunk condor cougar coyote crane cricket curlew deer dingo
dolphin dove dunlin eagle egret eider elk emu falcon ferret finch flamingo fox gannet
gazelle gecko gibbon giraffe goose gopher grebe grouse gull hare harrier hawk hedgehog heron
hornbill ibex ibis iguana impala jackal jaguar jay kestrel kingfisher kite kiwi koala lark
lemur leopard linnet llama lynx macaw magpie mallard manatee marmot marten meerkat merlin
mink mole moose narwhal newt nightjar ocelot okapi oriole osprey otter owl panda panther
parrot pelican penguin petrel pheasant pika plover puffin quail quokka rabbit raven redstart
robin salmon sandpiper seal serval shrike skylark sparrow squirrel starling stoat stork
swallow swan swift tapir tern thrush tiger toucan turtle vole walrus warbler weasel whale
wombat wren yak zebra
""".split()


def new_code_name(*, extra_word: bool = False) -> str:
    words = [secrets.choice(ADJECTIVES), secrets.choice(ANIMALS)]
    if extra_word:
        words.insert(0, secrets.choice(ADJECTIVES))
    return "-".join(words)
